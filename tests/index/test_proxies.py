"""Proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), for shipyard and its installer:
a real pypiserver behind a real TLS endpoint, reached through a logging forward/CONNECT proxy."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.index import transport
from shipyard.index.open import open_index
from shipyard.secrets import redact
from shipyard.tools.network import Network
from tests.helpers import oidc_standin
from tests.helpers.indexes import TestIndex, start_pypiserver
from tests.helpers.netproxies import Pki, Proxy, TlsFront, logging_proxy, tls_front
from tests.helpers.projects import ShipyardCLI, make_project
from tests.helpers.releases import actions, release_json, staging_project

pytestmark = pytest.mark.integration
FAST = ("--no-test-install", "--retries", "1")


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    with logging_proxy() as running:
        yield running


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_release_goes_through_https_proxy_and_the_index_credential_never_reaches_it(
    shipyard: ShipyardCLI,
    tmp_path: Path,
    fresh_pypiserver: TestIndex,
    front: TlsFront,
    pki: Pki,
    proxy: Proxy,
) -> None:
    index = front.index(fresh_pypiserver)
    root, env = staging_project(tmp_path, index)
    proxy_url = proxy.url.replace("http://", "http://proxyuser:proxy-secret-77@")
    env |= {"HTTPS_PROXY": proxy_url, "SHIPYARD_CERT": str(pki.ca), "NO_PROXY": ""}
    run = shipyard("release", "--json", "-C", str(root), "--no-test-install", env=env)
    assert run.code == 0, run.text
    assert "proxy-secret-77" not in run.text
    tunnels = [p for p in proxy.log if p.target == f"127.0.0.1:{front.port}"]
    assert tunnels and {p.method for p in proxy.log} == {"CONNECT"}  # https: only tunnels, nothing in clear
    index_auth = basic(index.username, index.password)
    for passed in proxy.log:
        assert passed.headers.get("proxy-authorization") == basic("proxyuser", "proxy-secret-77")
        assert "authorization" not in passed.headers
        assert index_auth not in str(passed.headers) and index.password not in str(passed.headers)
    agents = {p.headers.get("user-agent", "").split("/")[0] for p in tunnels}
    # shipyard's tunnel (urllib3 sends no User-Agent); verify's installer reads the files verify
    # downloaded, not the index (its proxy: tests/index/test_installer_proxies.py)
    assert agents == {""}, agents
    assert len(fresh_pypiserver.served_files("tiny-pkg")) == 2


def test_no_proxy_bypasses_the_proxy(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, proxy: Proxy
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    env |= {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"}
    doc = release_json(shipyard, root, env, "--no-test-install")
    assert actions(doc) == {"staging": ["uploaded", "uploaded"]}
    # nothing for the index passed the proxy (a first build's environment may fetch from PyPI through it)
    assert [p for p in proxy.log if "127.0.0.1" in p.target] == []


def test_anonymous_reads_of_a_plain_http_index_go_through_http_proxy(
    monkeypatch: pytest.MonkeyPatch, fresh_pypiserver: TestIndex, proxy: Proxy
) -> None:
    index = fresh_pypiserver
    repo = Repository("staging", index.upload_url, index.simple_url)
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    assert open_index(repo, None, Network(retries=0)).read("tiny-pkg").files == {}
    assert [(p.method, p.target) for p in proxy.log] == [("GET", f"{index.simple_url}tiny-pkg/")]
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    open_index(repo, None, Network(retries=0)).read("tiny-pkg")
    assert len(proxy.log) == 1
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("HTTP_PROXY")
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    open_index(repo, None, Network(retries=0)).read("tiny-pkg")
    assert len(proxy.log) == 2


def test_a_credential_is_not_sent_through_a_proxy_in_clear_text(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, proxy: Proxy
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    env |= {"HTTP_PROXY": proxy.url, "NO_PROXY": ""}
    run = shipyard("release", "-C", str(root), *FAST, env=env)
    assert run.code == 2, run.text
    line = run.err.strip().splitlines()[-1]
    assert line.startswith("error: the credential for staging would pass the proxy 127.0.0.1:"), line
    assert "https" in line and "NO_PROXY" in line
    assert proxy.log == [] and fresh_pypiserver.served_files("tiny-pkg") == {}


def test_a_proxy_password_is_a_secret_once_the_proxy_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxyuser:proxy%2Fpass-4242@proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert "proxy/pass-4242" in redact("proxy/pass-4242")  # not known before
    assert transport.proxies("https://index.example/simple/") == {
        "https": "http://proxyuser:proxy%2Fpass-4242@proxy.example:3128"
    }
    header = basic("proxyuser", "proxy/pass-4242")
    assert redact(f"sent proxy/pass-4242 and {header}") == "sent *** and Basic ***"


# ---------------------------------------------------------------- trusted publishing (issue 21, point 6)

OIDC_SECRETS = (
    oidc_standin.REQUEST_TOKEN,
    oidc_standin.GITHUB_JWT,
    oidc_standin.GITLAB_JWT,
    oidc_standin.MINTED,
)


@pytest.fixture
def token_index(tmp_path: Path) -> Iterator[TestIndex]:
    """A pypiserver that takes uploads from `__token__` with the stand-in's minted token only."""
    (tmp_path / "token-index").mkdir()
    with start_pypiserver(tmp_path / "token-index", {"__token__": oidc_standin.MINTED}) as index:
        yield index


def oidc_project(tmp_path: Path, upload: str, simple: str, oidc_url: str) -> Path:
    tool = (
        '[tool.shipyard]\nstages = ["staging"]\n\n[tool.shipyard.repositories.staging]\n'
        f'upload-url = "{upload}"\nsimple-url = "{simple}"\noidc-url = "{oidc_url}"\n'
    )
    return make_project(tmp_path / "proj", "oidc-pkg", "1.0.0", tool=tool, with_tests=False)


def ci_env(ci: str, token_url: str) -> dict[str, str]:
    if ci == "gitlab":
        return {"GITLAB_CI": "true", "STANDIN_PYPI_ID_TOKEN": oidc_standin.GITLAB_JWT}
    return {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": token_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc_standin.REQUEST_TOKEN,
    }


def no_token_passed(proxy: Proxy, run_text: str) -> None:
    for secret in OIDC_SECRETS:
        assert secret not in run_text
        assert all(secret not in str(p.headers) and secret not in p.target for p in proxy.log)


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_trusted_publishing_to_a_plain_http_index_is_refused_before_any_request(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, proxy: Proxy, ci: str
) -> None:
    with oidc_standin.running() as standin:
        root = oidc_project(tmp_path, token_index.upload_url, token_index.simple_url, standin.url)
        env = {**ci_env(ci, standin.token_request_url), "HTTP_PROXY": proxy.url, "NO_PROXY": ""}
        run = shipyard("release", "-C", str(root), *FAST, "--no-verify-install", env=env)
        assert (run.code, standin.calls, proxy.log) == (2, [], []), run.text
    (line,) = run.err.strip().splitlines()
    assert line.startswith("error: the credential for staging would pass the proxy 127.0.0.1:"), line
    assert not token_index.served_files("oidc-pkg") and not (root / "dist").exists()
    no_token_passed(proxy, run.text)


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_id_token_does_not_cross_a_proxy_in_clear_text_to_an_https_index(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, pki: Pki, proxy: Proxy, ci: str
) -> None:
    """The index is https (a CONNECT tunnel through the proxy), but its oidc-url is plain http: the
    id token would go to the mint in clear text. Refused before the audience is even asked for."""
    with oidc_standin.running() as standin, tls_front(token_index.upload_url, pki) as front:
        index = front.index(token_index)
        root = oidc_project(tmp_path, index.upload_url, index.simple_url, standin.url)
        env = {**ci_env(ci, standin.token_request_url), "HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url}
        env |= {"NO_PROXY": "", "SHIPYARD_CERT": str(pki.ca)}
        run = shipyard("release", "-C", str(root), *FAST, "--no-verify-install", "--no-attest", env=env)
        assert (run.code, standin.calls, proxy.log) == (2, [], []), run.text
    (line,) = run.err.strip().splitlines()
    assert line.startswith(
        "error: the OIDC id token (trusted publishing) for staging would pass the proxy"
    ), line
    assert f"({standin.url}_/oidc/mint-token is plain http)" in line and "NO_PROXY" in line
    assert not token_index.served_files("oidc-pkg")
    no_token_passed(proxy, run.text)


def test_trusted_publishing_through_a_proxy_goes_only_through_tunnels(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, pki: Pki, proxy: Proxy
) -> None:
    """Every piece over https (the CI's token endpoint, the mint, the index): all of it through
    CONNECT tunnels, where the proxy sees hosts and ports, never a token; it says which audience."""
    with (
        oidc_standin.running() as standin,
        tls_front(standin.url, pki) as oidc_front,
        tls_front(token_index.upload_url, pki) as front,
    ):
        index = front.index(token_index)
        root = oidc_project(tmp_path, index.upload_url, index.simple_url, oidc_front.url)
        env = ci_env("github", standin.token_request_url)  # `id` asks for it directly, never by a proxy
        env |= {"HTTPS_PROXY": proxy.url, "NO_PROXY": "", "REQUESTS_CA_BUNDLE": str(pki.ca)}
        run = shipyard("release", "-C", str(root), *FAST, "--no-verify-install", "--no-attest", env=env)
        assert run.code == 0, run.text
        assert standin.problems == [] and len(standin.calls) == 5, standin.calls  # burn included
    assert {p.method for p in proxy.log} == {"CONNECT"}
    assert {p.target for p in proxy.log} == {f"127.0.0.1:{oidc_front.port}", f"127.0.0.1:{front.port}"}
    said = "trusted publishing for staging: an OIDC id token from GitHub Actions for audience 'standin-pypi'"
    assert said in run.out, run.text
    assert len(token_index.served_files("oidc-pkg")) == 2
    no_token_passed(proxy, run.text)
