"""A hostile front of a real index server, and the wheels it slips in.

`StrangerFront` listens on 127.0.0.1 and relays every request to a real pypiserver, except that it
adds files of its own to a project's page (a link with their sha256, as the server's own links)
and serves them, may swap a file's bytes for others after its first download, and counts the GETs
of every path. `stranger_wheel` makes, from our real wheel, a wheel of the same release whose module
writes a marker file when imported: if it ever runs, the test sees it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.helpers.indexes import HOST, TestIndex
from tests.helpers.serving import serving

EXTRA = "/extra/"
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def stranger_wheel(ours: Path, dest: Path, tag: str, marker: Path) -> Path:
    """Our wheel renamed to `tag` (python-abi-platform), its package's __init__ writing `marker`;
    RECORD and WHEEL rewritten to match, so an installer takes it as a good wheel."""
    name, version = ours.name.split("-")[:2]
    out = dest / f"{name}-{version}-{tag}.whl"
    dest.mkdir(parents=True, exist_ok=True)
    init = f"{name}/__init__.py"
    code = f"open({str(marker)!r}, 'w').write('the stranger ran')\n\ndef answer():\n    return 42\n"
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(ours) as zf:
        for info in zf.infolist():
            members[info.filename] = zf.read(info)
    members[init] = code.encode()
    [wheel_meta] = [m for m in members if m.endswith(".dist-info/WHEEL")]
    members[wheel_meta] = re.sub(
        rb"Tag: .*\n", f"Tag: {tag}\n".encode(), members[wheel_meta].replace(b"true", b"false")
    )
    [record] = [m for m in members if m.endswith(".dist-info/RECORD")]
    lines = [f"{m},{_record_hash(data)},{len(data)}" for m, data in members.items() if m != record]
    members[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return out


@dataclass
class StrangerFront:
    upstream: TestIndex
    port: int = 0
    extra: dict[str, bytes] = field(default_factory=dict)  # filename -> bytes, listed and served
    swaps: dict[str, bytes] = field(default_factory=dict)  # filename -> bytes served after the first GET
    gets: Counter[str] = field(default_factory=Counter)  # path -> GETs answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def index(self) -> TestIndex:
        """The upstream as read through this front (uploads still go to the server itself)."""
        simple = self.upstream.simple_url.split("/", 3)[3]
        up = self.upstream
        return TestIndex(
            f"{up.name} behind a stranger",
            up.upload_url,
            f"http://{HOST}:{self.port}/{simple}",
            up.username,
            up.password,
            up.root,
        )

    def downloads(self, filename: str) -> int:
        """How often the bytes of `filename` were sent (the server's own files and the extra ones)."""
        return sum(n for path, n in self.gets.items() if path.rsplit("/", 1)[-1] == filename)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        front = self.server.front
        path = self.path.split("?", 1)[0]
        filename = path.rsplit("/", 1)[-1]
        with front.lock:
            front.gets[path] += 1
            first = front.gets[path] == 1
        if path.startswith(EXTRA) and filename in front.extra:
            self._answer(200, "OK", [("Content-Type", "application/octet-stream")], front.extra[filename])
            return
        if not first and filename in front.swaps:
            self._answer(200, "OK", [("Content-Type", "application/octet-stream")], front.swaps[filename])
            return
        status, reason, headers, body = self._upstream()
        if status == 200 and path.startswith("/simple/") and front.extra:
            links = "".join(
                f'<a href="{EXTRA}{name}#sha256={hashlib.sha256(data).hexdigest()}">{name}</a>\n'
                for name, data in front.extra.items()
            )
            body = body.replace(b"</body>", links.encode() + b"</body>")
        self._answer(status, reason, headers, body)

    def _upstream(self) -> tuple[int, str, list[tuple[str, str]], bytes]:
        port = int(self.server.front.upstream.simple_url.split(":")[2].split("/")[0])
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        with contextlib.closing(conn):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
            conn.request("GET", self.path, headers=headers)
            reply = conn.getresponse()
            body = reply.read()
        kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in _HOP]
        return reply.status, reply.reason, kept, body

    def _answer(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, front: StrangerFront) -> None:
        super().__init__((HOST, 0), _Handler)
        self.front = front


@contextlib.contextmanager
def stranger_front(upstream: TestIndex) -> Iterator[StrangerFront]:
    front = StrangerFront(upstream)
    server = _Server(front)
    front.port = server.server_address[1]
    with serving(server):
        yield front
