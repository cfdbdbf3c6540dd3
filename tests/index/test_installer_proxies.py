"""The installer reads no proxy variable its own way (issue 21, point 7): shipyard decides once which
proxy an index URL takes (requests' reading) and hands uv that decision alone.

uv reads NO_PROXY differently from Python: an entry `host:port` does not match for uv, and uv takes
`NO_PROXY` before `no_proxy`. Where shipyard bypassed the proxy and uv did not, verify's install sent
the index credential through the proxy in clear text. A real pypiserver reached as localhost, a
real recording proxy (tests/helpers/netproxies.py), real uv.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.index.base import Credential
from shipyard.index.open import open_index
from shipyard.secrets import Secret
from shipyard.tools import venvs
from shipyard.tools.network import Network
from shipyard.tools.procenv import isolated_installer_env
from tests.helpers.indexes import TestIndex
from tests.helpers.netproxies import Proxy, logging_proxy
from tests.helpers.projects import ShipyardCLI
from tests.helpers.releases import staging_project

pytestmark = pytest.mark.integration
PROXY_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    with logging_proxy() as running:
        yield running


def _as_localhost(index: TestIndex) -> TestIndex:
    """`index` named by host name: a NO_PROXY entry `localhost:PORT` is one Python matches."""
    return TestIndex(
        index.name,
        index.upload_url.replace("127.0.0.1", "localhost"),
        index.simple_url.replace("127.0.0.1", "localhost"),
        index.username,
        index.password,
        index.root,
    )


def _port(index: TestIndex) -> str:
    return index.simple_url.split(":")[2].split("/")[0]


def _variants(index: TestIndex) -> dict[str, dict[str, str]]:
    """Proxy settings under which Python (and shipyard) go straight to `index`, and uv did not."""
    return {
        "no_proxy with a port": {"NO_PROXY": f"localhost:{_port(index)}"},
        "no_proxy beside another NO_PROXY": {"no_proxy": "localhost", "NO_PROXY": "elsewhere.invalid"},
    }


def _carries(passed: dict[str, str], index: TestIndex) -> bool:
    token = base64.b64encode(f"{index.username}:{index.password}".encode()).decode()
    return "authorization" in passed or token in str(passed) or index.password in str(passed)


@pytest.mark.parametrize("variant", ["no_proxy with a port", "no_proxy beside another NO_PROXY"])
def test_release_never_sends_the_index_credential_through_a_proxy_shipyard_bypasses(
    variant: str, shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, proxy: Proxy
) -> None:
    index = _as_localhost(fresh_pypiserver)
    root, env = staging_project(tmp_path, index)
    env |= {"HTTP_PROXY": proxy.url, **_variants(index)[variant]}
    run = shipyard("release", "-C", str(root), "--no-test-install", env=env)
    assert run.code == 0, run.text
    assert [p for p in proxy.log if _carries(p.headers, index)] == []
    assert [p.target for p in proxy.log if "localhost" in p.target] == []  # the index was reached directly
    assert "tiny-pkg 1.0.0 installs from the files staging served" in run.out, run.out


def _installer_env(index: TestIndex, credential: bool) -> dict[str, str]:
    """What verify hands uv to install from `index` (a packaging repository's siblings)."""
    repo = Repository("staging", index.upload_url, index.simple_url)
    cred = (
        Credential(index.username, Secret(index.password), "test", index.upload_url) if credential else None
    )
    with open_index(repo, cred, Network(retries=0)).installer_env() as extra:
        return isolated_installer_env(extra)


def _uv_install(env: dict[str, str], tmp_path: Path) -> None:
    python = venvs.create(tmp_path / "venv", sys.executable)
    args = ["pip", "install", "--python", str(python), "--no-deps", "--no-cache", "tiny-pkg==1.0.0"]
    done = subprocess.run([venvs.uv(), *args], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _published(shipyard: ShipyardCLI, tmp_path: Path, index: TestIndex) -> None:
    root, env = staging_project(tmp_path, index)
    run = shipyard("release", "-C", str(root), "--no-test-install", "--no-verify-install", env=env)
    assert run.code == 0, run.text


def _only(monkeypatch: pytest.MonkeyPatch, settings: dict[str, str]) -> None:
    for name in PROXY_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("variant", ["no_proxy with a port", "no_proxy beside another NO_PROXY"])
def test_the_installer_goes_straight_to_an_index_shipyard_reaches_directly(
    variant: str,
    monkeypatch: pytest.MonkeyPatch,
    shipyard: ShipyardCLI,
    tmp_path: Path,
    fresh_pypiserver: TestIndex,
    proxy: Proxy,
) -> None:
    index = _as_localhost(fresh_pypiserver)
    _published(shipyard, tmp_path, index)
    _only(monkeypatch, {"HTTP_PROXY": proxy.url, **_variants(index)[variant]})
    env = _installer_env(index, credential=True)
    _uv_install(env, tmp_path)
    assert [p for p in proxy.log if _carries(p.headers, index)] == []
    assert proxy.log == []
    assert [k for k in env if k.lower().endswith("_proxy")] == []  # no variable left to read otherwise


def test_the_installer_takes_the_proxy_shipyard_takes(
    monkeypatch: pytest.MonkeyPatch,
    shipyard: ShipyardCLI,
    tmp_path: Path,
    fresh_pypiserver: TestIndex,
    proxy: Proxy,
) -> None:
    index = _as_localhost(fresh_pypiserver)
    _published(shipyard, tmp_path, index)
    # Python reads no_proxy (no match): the proxy; uv would have read NO_PROXY (a match): direct
    _only(monkeypatch, {"HTTP_PROXY": proxy.url, "no_proxy": "elsewhere.invalid", "NO_PROXY": "localhost"})
    env = _installer_env(index, credential=False)  # anonymous: no credential crosses a clear-text proxy
    _uv_install(env, tmp_path)
    assert f"{index.simple_url}tiny-pkg/" in [p.target for p in proxy.log]
    assert {k: v for k, v in env.items() if k.lower().endswith("_proxy")} == {"HTTP_PROXY": proxy.url}
