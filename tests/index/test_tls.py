"""Private CAs and client certificates: real pypiserver behind a real TLS endpoint on 127.0.0.1,
certificates made at run time; shipyard (requests) and its installer (uv) both trust them, and a
certificate failure is said to be one, once. verify's install check reads the files verify downloaded,
not the index: uv meets the index itself for a packaging repository's siblings (`_uv_installs`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.errors import ConfigError
from shipyard.index.open import open_index
from shipyard.index.transport import transport
from shipyard.tools import venvs
from shipyard.tools.network import Network
from shipyard.tools.procenv import isolated_installer_env
from tests.helpers.indexes import TestIndex, client_env
from tests.helpers.netproxies import Pki, TlsFront, tls_front
from tests.helpers.projects import ShipyardCLI
from tests.helpers.releases import actions, release_json, staging_project

pytestmark = pytest.mark.integration
FAST = ("--no-test-install", "--retries", "2")
PUBLIC = "/etc/ssl/certs/ca-certificates.crt"  # the public roots, as CI images point REQUESTS_CA_BUNDLE at


@pytest.fixture
def mtls(fresh_pypiserver: TestIndex, pki: Pki) -> Iterator[TlsFront]:
    with tls_front(fresh_pypiserver.upload_url, pki, require_client_cert=True) as endpoint:
        yield endpoint


def twine_upload(
    index: TestIndex, files: list[Path], *extra: str, ca_bundle: str | None = PUBLIC
) -> subprocess.CompletedProcess[str]:
    env = {**client_env(), "TWINE_USERNAME": index.username, "TWINE_PASSWORD": index.password}
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests lets both override twine --cert
        env.pop(name, None)
    env |= {"REQUESTS_CA_BUNDLE": ca_bundle} if ca_bundle else {}
    cmd = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar"]
    cmd += ["--repository-url", index.upload_url, *extra, *map(str, files)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def _uv_installs(index: TestIndex, net: Network, tmp_path: Path) -> None:
    """uv installs tiny-pkg from `index` with the environment verify hands it there (CA, client
    certificate, proxy), as for a packaging repository's siblings."""
    repo = Repository("staging", index.upload_url, index.simple_url)
    with open_index(repo, None, net).installer_env() as extra:
        env = isolated_installer_env(extra)
    python = venvs.create(tmp_path / "uv-venv", sys.executable)
    args = ["pip", "install", "--python", str(python), "--no-deps", "--no-cache", "tiny-pkg==1.0.0"]
    done = subprocess.run([venvs.uv(), *args], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_cert_trusts_a_private_ca_over_requests_ca_bundle_for_shipyard_and_uv(
    shipyard: ShipyardCLI,
    tmp_path: Path,
    fresh_pypiserver: TestIndex,
    front: TlsFront,
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = front.index(fresh_pypiserver)
    root, env = staging_project(tmp_path, index)
    env |= {"REQUESTS_CA_BUNDLE": PUBLIC, "SSL_CERT_FILE": PUBLIC}
    doc = release_json(shipyard, root, env, "--no-test-install", "--cert", str(pki.ca))
    assert actions(doc) == {"staging": ["uploaded", "uploaded"]}
    stage = doc["stages"][0]  # type: ignore[index]
    assert stage["verified"], stage
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", PUBLIC)
    monkeypatch.setenv("SSL_CERT_FILE", PUBLIC)
    _uv_installs(index, Network(cert=pki.ca), tmp_path)  # uv trusts --cert over TLS too
    assert fresh_pypiserver.served_files("tiny-pkg")
    # the same in the environment, and as the repository's own key
    again = release_json(shipyard, root, {**env, "SHIPYARD_CERT": str(pki.ca)}, *FAST)
    assert actions(again) == {"staging": ["skipped", "skipped"]}
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.shipyard.repositories.staging]\n",
                                                       f'[tool.shipyard.repositories.staging]\ncert = "{pki.ca}"\n'))  # fmt: skip
    keyed = shipyard("publish", "-C", str(root), "--retries", "0", env=env)  # the files built above
    assert keyed.code == 0 and "identical: skipped" in keyed.out, keyed.text
    # twine --cert on the same endpoint: REQUESTS_CA_BUNDLE overrides it (the point 1)
    twine = twine_upload(index, sorted((root / "dist").glob("tiny_pkg-*")), "--cert", str(pki.ca))
    assert twine.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in twine.stdout + twine.stderr


def test_ssl_cert_file_is_honoured_when_requests_ca_bundle_is_unset(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, front: TlsFront, pki: Pki
) -> None:
    root, env = staging_project(tmp_path, front.index(fresh_pypiserver))
    env |= {"SSL_CERT_FILE": str(pki.ca), "REQUESTS_CA_BUNDLE": ""}
    assert actions(release_json(shipyard, root, env, *FAST)) == {"staging": ["uploaded", "uploaded"]}


def test_an_untrusted_certificate_is_said_to_be_one_and_not_retried(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, front: TlsFront
) -> None:
    root, env = staging_project(tmp_path, front.index(fresh_pypiserver))
    run = shipyard("release", "-C", str(root), "--no-test-install", env=env)
    assert run.code == 1, run.text
    line = run.err.strip().splitlines()[-1]
    assert line.startswith("error: the TLS certificate of 127.0.0.1 is not trusted (")
    assert "self-signed certificate in certificate chain" in line or "unable to get local issuer" in line
    assert "--cert PATH" in line and "SHIPYARD_CERT" in line and "cert key" in line
    assert "REQUESTS_CA_BUNDLE" in line  # what it trusted instead
    assert "retry" not in run.text and "allow-unverified" not in run.text
    assert "connection failed" not in run.text and "Traceback" not in run.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
    verbose = shipyard("publish", "-C", str(root), "-v", env=env)  # the files built above
    assert verbose.code == 1 and "SSLCertVerificationError" in verbose.err, verbose.text


def test_client_certificate_for_shipyard_uv_and_as_twine_does(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, mtls: TlsFront, pki: Pki
) -> None:
    index = mtls.index(fresh_pypiserver)
    root, env = staging_project(tmp_path, index)
    env["SHIPYARD_CERT"] = str(pki.ca)
    refused = shipyard("release", "-C", str(root), *FAST, env=env)
    assert refused.code == 1, refused.text
    line = refused.err.strip().splitlines()[-1]
    assert line.startswith("error: the TLS connection to 127.0.0.1 failed ("), line
    assert "--client-cert PATH" in line and "SHIPYARD_CLIENT_CERT" in line, line
    assert "retry" not in refused.text and "Traceback" not in refused.text
    stranger = shipyard("release", "-C", str(root), *FAST, "--client-cert", str(pki.other_client), env=env)
    assert stranger.code == 1 and "accepts the client certificate" in stranger.err, stranger.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}

    doc = release_json(shipyard, root, env, "--no-test-install", "--client-cert", str(pki.client_cert))
    assert actions(doc) == {"staging": ["uploaded", "uploaded"]}
    assert doc["stages"][0]["verified"]  # type: ignore[index]
    _uv_installs(index, Network(cert=pki.ca, client_cert=pki.client_cert), tmp_path)  # SSL_CLIENT_CERT
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert len(served) == 2

    # twine with the same flags (and no REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE to override --cert) gets
    # through TLS to pypiserver's own answer for a file already there (an HTTP 400); without it, no answer
    dists = sorted((root / "dist").glob("tiny_pkg-*.tar.gz"))
    twine = twine_upload(
        index, dists, "--cert", str(pki.ca), "--client-cert", str(pki.client_cert), ca_bundle=None
    )
    assert twine.returncode == 1 and "HTTPError: 400" in twine.stdout, twine.stdout + twine.stderr
    bare = twine_upload(index, dists, "--cert", str(pki.ca), ca_bundle=None)
    assert bare.returncode == 1 and "HTTPError" not in bare.stdout + bare.stderr
    assert fresh_pypiserver.served_files("tiny-pkg") == served


@pytest.mark.parametrize("flag", ["--cert", "--client-cert"])
def test_a_file_that_is_no_pem_is_a_usage_error(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, flag: str
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    for path in (bogus, tmp_path / "missing.pem"):
        run = shipyard("publish", "-C", str(root), flag, str(path), "dist/x-1.0.tar.gz", env=env)
        assert run.code == 2, run.text
        assert run.err.count("error:") == 1 and "Traceback" not in run.err
        assert str(path) in run.err and "PEM" in run.err


def test_system_certs_trusts_the_system_store_for_shipyard_and_uv(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, front: TlsFront, pki: Pki
) -> None:
    # on Linux the system store is what OpenSSL's default paths name (truststore) and what
    # rustls-native-certs reads (uv --native-tls): SSL_CERT_FILE points both at the test CA here
    root, env = staging_project(tmp_path, front.index(fresh_pypiserver))
    env |= {"REQUESTS_CA_BUNDLE": PUBLIC, "SSL_CERT_FILE": str(pki.ca)}
    refused = shipyard("release", "-C", str(root), *FAST, env=env)
    assert refused.code == 1 and "trusting REQUESTS_CA_BUNDLE" in refused.err, refused.text
    doc = release_json(shipyard, root, {**env, "SHIPYARD_SYSTEM_CERTS": "1"}, "--no-test-install")
    assert actions(doc) == {"staging": ["uploaded", "uploaded"]}
    assert doc["stages"][0]["verified"]  # type: ignore[index]
    repo = Repository("staging", "https://127.0.0.1/", "https://127.0.0.1/simple/")
    system = transport(repo, Network(system_certs=True), env)
    assert system.system and system.installer_env() == {"UV_NATIVE_TLS": "1"}  # uv: the platform's roots


def test_system_certs_without_truststore_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "truststore", None)  # as where the extra is not installed
    repo = Repository("corp", "https://corp.example/legacy/", "https://corp.example/simple/")
    with pytest.raises(
        ConfigError, match=r"system-certs needs the truststore package: pip install 'shipyard\[truststore\]'"
    ):
        transport(repo, Network(system_certs=True), {})


def test_a_machine_wide_ca_bundle_is_checked_for_https_and_not_read_for_plain_http(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    env = {"REQUESTS_CA_BUNDLE": str(bogus)}
    secure = Repository("corp", "https://corp.example/legacy/", "https://corp.example/simple/")
    with pytest.raises(ConfigError, match=r"REQUESTS_CA_BUNDLE names .*bogus\.pem"):
        transport(secure, Network(), env)
    local = Repository("local", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/")
    assert transport(local, Network(), env).ca_bundle == bogus  # still handed on, never read here
    with pytest.raises(ConfigError, match=r"--cert names"):  # one named for this run is checked
        transport(local, Network(cert=bogus), env)
