"""A remote index sends its credential only to its own origin (scheme, host and port) and fetches the
files it lists only over http(s). Real HTTP servers on 127.0.0.1 record what they were sent."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import sys
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.dists import Release, identify
from shipyard.errors import InstallError, VerifyError
from shipyard.index.base import Credential
from shipyard.index.open import open_index
from shipyard.publish.verify import Verifying, verify
from shipyard.secrets import Secret
from shipyard.tools import venvs
from shipyard.tools.network import Network
from shipyard.tools.procenv import isolated_installer_env
from tests.helpers.serving import serving as on_a_thread

USER, PASSWORD = "deploy", "origin-test-password"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
NO_RETRIES = Network(retries=0, retry_timeout=0.0)


class Recorder(ThreadingHTTPServer):
    """Serves `pages` (path -> (content type, body)); `seen` holds (path, Authorization header)."""

    def __init__(self, challenge: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.seen: list[tuple[str, str | None]] = []
        self.challenge = challenge  # answer 401 without the right Basic header: fish for credentials

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        given = self.headers.get("Authorization")
        self.server.seen.append((self.path if with_body else f"HEAD {self.path}", given))
        if self.server.challenge and given != BASIC:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind, body = self.server.pages.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in self.server.pages else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(challenge: bool = False) -> Iterator[Recorder]:
    server = Recorder(challenge)
    with on_a_thread(server):
        yield server


def make_wheel(folder: Path) -> Path:
    wheel = folder / "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo_pkg.py", "X = 1\n")
        zf.writestr(
            "demo_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n"
        )
        zf.writestr(
            "demo_pkg-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr("demo_pkg-1.0.dist-info/RECORD", "")
    return wheel


def listing_page(wheel: Path, href: str) -> tuple[str, bytes]:
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return (
        "text/html",
        f'<html><body><a href="{href}#sha256={sha256}">{wheel.name}</a></body></html>'.encode(),
    )


def credential(repo: Repository) -> Credential:
    return Credential(USER, Secret(PASSWORD), "test", repo.upload_url)


def test_the_credential_is_not_sent_to_another_port_of_the_same_host(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    with serving() as index_server, serving() as files:
        files.pages["/files/" + wheel.name] = ("application/octet-stream", wheel.read_bytes())
        index_server.pages["/simple/demo-pkg/"] = listing_page(wheel, f"{files.url}/files/{wheel.name}")
        repo = Repository("corp", f"{index_server.url}/legacy/", f"{index_server.url}/simple/")
        index = open_index(repo, credential(repo), NO_RETRIES)
        listing = index.read("demo-pkg")
        assert index.download(listing.files[wheel.name]) == identify(wheel).sha256
        with index.installer_env() as env:
            assert env["UV_INDEX_SHIPYARD_PASSWORD"] == PASSWORD, "the index's own origin: uv gets it"
    assert index_server.seen == [("/simple/demo-pkg/", BASIC)]
    assert files.seen == [(f"/files/{wheel.name}", None)], "127.0.0.1 on another port got the credential"


def test_the_installer_sends_the_credential_to_the_index_and_not_to_its_host_on_another_port(
    tmp_path: Path,
) -> None:
    """Both servers ask for credentials (401): uv answers the index's own challenge with the index's
    credential, and the file server on another port of the same host gets none (with a netrc entry,
    matched by host alone, it got the credential)."""
    wheel = make_wheel(tmp_path)
    with serving(challenge=True) as index_server, serving(challenge=True) as files:
        files.pages["/files/" + wheel.name] = ("application/octet-stream", wheel.read_bytes())
        index_server.pages["/simple/demo-pkg/"] = listing_page(wheel, f"{files.url}/files/{wheel.name}")
        repo = Repository("corp", f"{index_server.url}/legacy/", f"{index_server.url}/simple/")
        index = open_index(repo, credential(repo), NO_RETRIES)
        py = venvs.create(tmp_path / "venv", sys.executable)
        with index.installer_env() as env, pytest.raises(InstallError):  # the file server never lets it in
            venvs.install(
                py,
                ["--no-deps", "--no-cache", "demo-pkg==1.0"],
                what="demo-pkg",
                env=isolated_installer_env(env),
            )
    assert ("/simple/demo-pkg/", BASIC) in index_server.seen, "uv did not use the index's credential"
    assert any(path.endswith(wheel.name) for path, _ in files.seen), "uv never asked the file server"
    assert [auth for _, auth in files.seen] == [None] * len(files.seen), "another port got the credential"


def test_the_credential_is_not_sent_to_another_scheme_of_the_same_host_and_port(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    with serving() as index_server:
        index_server.pages["/simple/demo-pkg/"] = listing_page(wheel, f"/files/{wheel.name}")
        https = index_server.url.replace("http://", "https://")
        # the credential is for the https upload URL; the simple pages are read over plain http
        repo = Repository("corp", f"{https}/legacy/", f"{index_server.url}/simple/")
        index = open_index(repo, credential(repo), NO_RETRIES)
        assert wheel.name in index.read("demo-pkg").files
        with index.installer_env() as env:
            assert env == {"UV_INDEX_URL": repo.simple_url}
    assert index_server.seen == [("/simple/demo-pkg/", None)]


def test_verify_refuses_a_file_url_listed_by_a_remote_index(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    with serving() as index_server:
        # the very file we built, with its right sha256: reading it would pass, so only refusing works
        index_server.pages["/simple/demo-pkg/"] = listing_page(wheel, wheel.as_uri())
        repo = Repository("corp", f"{index_server.url}/legacy/", f"{index_server.url}/simple/")
        index = open_index(repo, credential(repo), NO_RETRIES)
        with pytest.raises(VerifyError) as caught:
            verify(
                Release.of([identify(wheel)]),
                index,
                Verifying(timeout=0.0, install=False, python=sys.executable),
            )
    assert caught.value.message == (
        f"corp lists {wheel.name} at a file: URL: files on an index server are fetched over http(s) only"
    )
