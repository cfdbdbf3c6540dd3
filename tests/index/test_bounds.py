"""A hostile index on 127.0.0.1 that sends slowly, without end, or more than it should (issue 12,
points 9, 12, 13): every case ends as one error line (exit 1), within its documented bound in time
(the margins are for a loaded 2-core machine: "within the bound + 20 s", not tight figures), with
no more bytes taken than the size the build or the listing gives, and nothing uploaded."""

from __future__ import annotations

import http.server
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.helpers.netproxies import Pki
from tests.helpers.projects import Run, ShipyardCLI, make_project
from tests.helpers.serving import serving

pytestmark = pytest.mark.integration

MARGIN = 20.0  # seconds past a bound that a loaded machine may add
TOKEN = {"SHIPYARD_CUSTOM_TOKEN": "pypi-a-token-long-enough-for-the-test"}
JSON = "application/vnd.pypi.simple.v1+json"


class _Hostile(http.server.BaseHTTPRequestHandler):
    """Path /<mode>/...: how this server misbehaves. The listing names `files` (and their `sizes`)."""

    protocol_version = "HTTP/1.1"
    files: ClassVar[list[str]] = []
    sizes: ClassVar[dict[str, int]] = {}
    posts: ClassVar[list[str]] = []
    sent: ClassVar[dict[str, int]] = {}  # path -> bytes written before the client went away

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _trickle(self, data: bytes, seconds: float = 1.0) -> None:
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            time.sleep(seconds)

    def _endless(self, piece: bytes) -> None:
        written = 0
        try:
            while written < 1 << 34:  # 16 GiB: "without end" for any test run
                self.wfile.write(piece)
                written += len(piece)
        finally:
            self.sent[self.path] = written

    def _head(self, status: int = 200, ctype: str = JSON, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        self.end_headers()

    def _listing(self, mode: str) -> bytes:
        entries = [
            {
                "filename": f,
                "url": f"/{mode}/files/{f}",
                "hashes": {},
                **({"size": self.sizes[f]} if f in self.sizes else {}),
            }
            for f in self.files
        ]
        return json.dumps({"meta": {"api-version": "1.1"}, "name": "tiny-pkg", "files": entries}).encode()

    def do_GET(self) -> None:
        mode = self.path.split("/")[1]
        is_file = "/files/" in self.path
        try:
            if mode == "trickle-head":
                self._trickle(b"HTTP/1.1 200 OK\r\nContent-Type: " + JSON.encode() + b"\r\n\r\n{}")
            elif mode == "trickle-page" or (mode == "trickle-file" and is_file):
                self._head()
                self._trickle(b" " * 600)
            elif mode == "endless-page":
                self._head()
                self._endless(b'{"files": [' + b" " * 65525)
            elif mode == "declared-page":
                self._head(length=10**12)
                self.wfile.write(b"{")
            elif mode == "endless-file" and is_file:
                self._head(ctype="application/octet-stream")
                self._endless(b"\0" * 65536)
            elif mode == "upload-answer":
                self._head(404, "text/plain", 0)
            else:
                body = self._listing(mode)
                self._head(length=len(body))
                self.wfile.write(body)
        except OSError:  # the client cut us off: what the test wants
            self.close_connection = True

    def do_POST(self) -> None:
        self.posts.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        try:
            self._trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n" + b" " * 600)
        except OSError:
            self.close_connection = True


def _serve(tls: Pki | None = None) -> Iterator[tuple[type[_Hostile], str]]:
    handler: type[_Hostile] = type(
        "Handler", (_Hostile,), {"posts": [], "sent": {}, "files": [], "sizes": {}}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.server_cert)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield handler, f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def hostile() -> Iterator[tuple[type[_Hostile], str]]:
    yield from _serve()


@pytest.fixture
def hostile_tls(pki: Pki) -> Iterator[tuple[type[_Hostile], str]]:
    yield from _serve(pki)


@pytest.fixture
def built(tmp_path: Path, shipyard: ShipyardCLI) -> Path:
    root = make_project(tmp_path / "proj")
    assert shipyard("build", "-C", str(root)).code == 0
    return root


def _run(
    shipyard: ShipyardCLI, root: Path, url: str, *args: str, env: dict[str, str] | None = None
) -> tuple[Run, float]:
    started = time.monotonic()
    run = shipyard(
        *args,
        "--repository-url",
        f"{url}/legacy/",
        "--simple-url",
        f"{url}/simple/",
        "-C",
        str(root),
        env={**TOKEN, **(env or {})},
    )
    return run, time.monotonic() - started


def _one_error(run: Run, *says: str) -> str:
    assert run.code == 1, run.text
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.err
    assert "Traceback" not in run.text and "internal error" not in run.text, run.text
    for words in says:
        assert words in errors[0], errors[0]
    return errors[0]


def _sent(handler: type[_Hostile], path: str) -> int:
    """Bytes the server wrote to `path` before the client went away (it notices a moment later)."""
    until = time.monotonic() + 60  # wall clock, not a count of sleeps: a busy machine notices late
    while time.monotonic() < until:
        if path in handler.sent:
            return handler.sent[path]
        time.sleep(0.1)
    raise AssertionError(f"the server still writes {path}: the client never cut it off")


def _dists(root: Path) -> list[Path]:
    return sorted((root / "dist").glob("tiny_pkg-*"))


# ---------------------------------------------------------------- point 12: deadlines


@pytest.mark.parametrize("mode", ["trickle-page", "trickle-head"])
def test_a_page_sent_one_byte_a_second_ends_publish_near_its_retry_timeout(
    mode: str, shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    run, took = _run(shipyard, built, f"{base}/{mode}", "publish", "--retry-timeout", "5")
    _one_error(run, "cut off by its deadline", "--retry-timeout 5 s")
    assert took < 10 + MARGIN, f"{took:.1f} s"  # retry-timeout 5 s, a read is given 10 s at least
    assert handler.posts == []


@pytest.mark.parametrize("mode", ["trickle-page", "trickle-head"])
def test_over_tls_too_a_page_sent_one_byte_a_second_is_cut_off(
    mode: str, shipyard: ShipyardCLI, built: Path, hostile_tls: tuple[type[_Hostile], str], pki: Pki
) -> None:
    handler, base = hostile_tls
    run, took = _run(
        shipyard, built, f"{base}/{mode}", "publish", "--retry-timeout", "5", "--cert", str(pki.ca)
    )
    _one_error(run, "cut off by its deadline", "--retry-timeout 5 s")
    assert took < 10 + MARGIN, f"{took:.1f} s"
    assert handler.posts == []


def test_an_upload_answered_one_byte_a_second_ends_near_its_upload_timeout(
    shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    run, took = _run(
        shipyard, built, f"{base}/upload-answer", "publish", "--upload-timeout", "5", "--retries", "0"
    )
    _one_error(run, "uploading tiny_pkg-1.0.0", "cut off by its deadline", "--upload-timeout 5 s")
    assert took < 5 + 10 + MARGIN, f"{took:.1f} s"  # upload-timeout + the connect timeout
    assert len(handler.posts) == 1  # cut off, not retried: the time was spent


@pytest.mark.parametrize("mode", ["trickle-page", "trickle-head", "trickle-file"])
def test_verify_ends_near_its_timeout_whatever_is_sent_slowly(
    mode: str, shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    handler.files = [p.name for p in _dists(built)]
    run, took = _run(shipyard, built, f"{base}/{mode}", "verify", "--timeout", "10", "--no-install")
    _one_error(run, "cut off by its deadline", "verify --timeout 10 s")
    assert took < 10 + MARGIN, f"{took:.1f} s"


# ---------------------------------------------------------------- point 9: downloads bounded by size


def test_verify_takes_no_more_bytes_than_the_build_has(
    shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    handler.files = [p.name for p in _dists(built)]
    run, took = _run(shipyard, built, f"{base}/endless-file", "verify", "--no-install")
    error = _one_error(run, "sends more than the", "bytes of our build", "cut off there")
    assert any(f"{p.stat().st_size:,} bytes of our build for {p.name}" in error for p in _dists(built)), error
    assert took < 120 + MARGIN


def test_verify_version_takes_no_more_bytes_than_the_listing_gives(
    shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str], tmp_path: Path
) -> None:
    handler, base = hostile
    handler.files = ["tiny_pkg-0.9.0.tar.gz"]
    handler.sizes = {"tiny_pkg-0.9.0.tar.gz": 5000}
    run, _ = _run(shipyard, built, f"{base}/endless-file", "verify", "--version", "0.9.0", "--no-install")
    _one_error(run, "sends more than the 5,000 bytes the listing gives for tiny_pkg-0.9.0.tar.gz")


def test_verify_version_without_a_listed_size_stops_at_the_download_limit(
    shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    handler.files = ["tiny_pkg-0.9.0.tar.gz"]
    args = ("verify", "--version", "0.9.0", "--no-install", "--download-limit", "3000000")
    run, _ = _run(shipyard, built, f"{base}/endless-file", *args)
    _one_error(run, "sends more than the 3,000,000 bytes of download-limit")
    sent = _sent(handler, "/endless-file/files/tiny_pkg-0.9.0.tar.gz")
    assert sent < 3_000_000 + 16 * (1 << 20), sent  # cut off near the limit (socket buffers aside)


def test_a_listed_size_above_the_download_limit_is_bounded_by_the_limit(
    shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    handler.files = ["tiny_pkg-0.9.0.tar.gz"]
    handler.sizes = {"tiny_pkg-0.9.0.tar.gz": 10**15}  # a listing that lies, to fill the disk
    args = ("verify", "--version", "0.9.0", "--no-install", "--download-limit", "3000000")
    run, _ = _run(shipyard, built, f"{base}/endless-file", *args)
    _one_error(run, "sends more than the 3,000,000 bytes of download-limit")


# ---------------------------------------------------------------- point 13: pages bounded by size


@pytest.mark.parametrize(
    ("mode", "limit"), [("endless-page", None), ("endless-page", "100000"), ("declared-page", None)]
)
def test_a_page_over_the_page_limit_is_refused(
    mode: str, limit: str | None, shipyard: ShipyardCLI, built: Path, hostile: tuple[type[_Hostile], str]
) -> None:
    handler, base = hostile
    args = ("--page-limit", limit) if limit else ()
    run, took = _run(shipyard, built, f"{base}/{mode}", "publish", *args)
    shown = f"{int(limit):,}" if limit else f"{50 * 1024 * 1024:,}"
    _one_error(
        run, f"sends a page over page-limit ({shown} bytes)", "check the simple-url", "raise page-limit"
    )
    assert handler.posts == []
    if mode == "endless-page":
        sent = _sent(handler, "/endless-page/simple/tiny-pkg/")
        # what the server wrote before it saw the connection go: the limit, the sockets' buffers
        # (autotuned, several MB each way on loopback) and what it wrote while the client raised and
        # closed; 69.8 MB was seen once with 4 test workers busy. An endless page is 16 GiB here.
        assert sent < int(limit or 50 * 1024 * 1024) + 32 * (1 << 20), sent
    assert took < 60 + MARGIN
