"""An HTTP proxy on 127.0.0.1 in front of a real index server, that injects faults, and counts them.

Requests are parsed with the standard library's http.server and forwarded with http.client (one
upstream connection per request); the faults act on the sockets themselves. Each `Fault` rule
applies to the next `times` requests it matches (by method, and by path prefix), after letting
`skip` of them pass:

- "reset-upload": forward the request head and `after_bytes` of the body, then reset (RST) both
  connections: the upload is cut half-way, the server stores nothing.
- "drop-reply": forward the whole request, let the server store the file and answer, then reset
  the client's connection instead of relaying the answer (the lost reply).
- "status": answer `status` (502, 503, 429 with `retry_after`...) without forwarding.
- "stall": read the request, forward nothing, stay silent for `seconds`, then close.
- "slow": forward, then trickle the answer in `chunk`-byte pieces, `seconds` apart.
- "stale": answer a GET with the first answer this proxy relayed for that path (the project page
  as it was before the upload), as a lagging mirror or CDN does.

"Connection refused" is the proxy being down: `down()` closes the listening socket, `up()` opens
it again on the same port (`down_for(s)` does both); the refused attempts are counted by the
client (`tally`). `injected` counts faults by kind, and `forwarded` counts requests that reached
the server whole, by method (POST: uploads it received). Every injected fault is added to a
session tally reported at the end of the run.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import pytest

from tests.helpers.indexes import TestIndex

Kind = Literal["reset-upload", "drop-reply", "status", "stall", "slow", "stale"]
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
_CHUNK = 65536

# kind -> faults injected, over the whole test session (see pytest_terminal_summary)
TALLY: collections.Counter[str] = collections.Counter()
RACES: list[str] = []  # one line per race round, for the summary


@dataclass
class Fault:
    kind: Kind
    times: int = 1
    method: str | None = None  # only requests with this method
    path: str | None = None  # only paths starting with this
    status: int = 503
    retry_after: str | None = None
    after_bytes: int = 512
    seconds: float = 1.0
    chunk: int = 256
    skip: int = 0  # let this many matching requests pass first

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and (self.path is None or path.startswith(self.path))
        )


@dataclass
class Faults:
    rules: list[Fault] = field(default_factory=list)
    injected: collections.Counter[str] = field(default_factory=collections.Counter)
    forwarded: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: Kind, times: int = 1, **options: object) -> Fault:
        rule = Fault(kind, times, **options)  # type: ignore[arg-type]
        with self.lock:
            self.rules.append(rule)
        return rule

    def take(self, method: str, path: str, *, has_cached: bool) -> Fault | None:
        """The rule that applies to this request (consuming one of its times), if any."""
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path) and (rule.kind != "stale" or has_cached):
                    if rule.skip > 0:
                        rule.skip -= 1
                        return None
                    rule.times -= 1
                    self.injected[rule.kind] += 1
                    TALLY[rule.kind] += 1
                    return rule
        return None

    def count(self, method: str) -> None:
        with self.lock:
            self.forwarded[method] += 1


def tally(kind: str, n: int = 1) -> None:
    """Count faults the proxy cannot see itself (connections refused while it was down)."""
    TALLY[kind] += n


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a crashed peer or a load balancer does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests uses it
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket may be reset on purpose
            super().finish()

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            raise NotImplementedError("the fault proxy needs Content-Length bodies")
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        proxy = self.server.proxy
        cached = proxy.pages.get(self.path) if self.command == "GET" else None
        fault = proxy.faults.take(self.command, self.path, has_cached=cached is not None)
        kind = fault.kind if fault else None
        if fault is not None and kind == "reset-upload":
            self._cut_upload(fault)
            return
        body = self._body()
        if fault is not None and kind == "status":
            headers = [("Retry-After", fault.retry_after)] if fault.retry_after else []
            self._answer(fault.status, "Injected", headers, b"injected by the fault proxy\n")
        elif fault is not None and kind == "stall":
            time.sleep(fault.seconds)
            self.close_connection = True
        elif fault is not None and kind == "stale":
            assert cached is not None
            self._answer(*cached)
        else:
            self._forward(body, fault)

    def _cut_upload(self, fault: Fault) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        part = self.rfile.read(min(fault.after_bytes, length // 2))
        upstream = self._upstream()
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            upstream.putheader(name, value)
        upstream.endheaders()
        upstream.send(part)
        assert upstream.sock is not None
        _reset(upstream.sock)
        _reset(self.connection)
        self.close_connection = True

    def _upstream(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server.proxy.upstream_port, timeout=60)

    def _forward(self, body: bytes, fault: Fault | None) -> None:
        upstream = self._upstream()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        with contextlib.closing(upstream):
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            reply = upstream.getresponse()
            content = reply.read()
        self.server.proxy.faults.count(self.command)
        kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in _HOP]
        answer = (reply.status, reply.reason, kept, content)
        if self.command == "GET":
            self.server.proxy.pages.setdefault(self.path, answer)
        if fault is not None and fault.kind == "drop-reply":
            _reset(self.connection)  # the server stored the upload; its answer is lost
            self.close_connection = True
            return
        self._answer(*answer, slow=fault if fault is not None and fault.kind == "slow" else None)

    def _answer(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        content: bytes,
        slow: Fault | None = None,
    ) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if slow is None:
            self.wfile.write(content)
            return
        for start in range(0, len(content), slow.chunk):
            self.wfile.write(content[start : start + slow.chunk])
            time.sleep(slow.seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, proxy: FaultProxy) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.proxy = proxy


class FaultProxy:
    """The proxy, listening on 127.0.0.1:`port`, in front of 127.0.0.1:`upstream_port`."""

    def __init__(self, upstream_port: int, faults: Faults | None = None) -> None:
        self.upstream_port = upstream_port
        self.faults = faults or Faults()
        self.pages: dict[str, tuple[int, str, list[tuple[str, str]], bytes]] = {}
        self._server: _Server | None = None
        self.port = 0
        self.downs = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def up(self) -> None:
        assert self._server is None
        self._server = _Server(self.port, self)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        self.downs += 1

    def down_for(self, seconds: float) -> threading.Timer:
        """Refuse connections for `seconds`, then listen again (on the same port)."""
        self.down()
        timer = threading.Timer(seconds, self.up)
        timer.start()
        return timer

    def close(self) -> None:
        if self._server is not None:
            self.down()


@contextlib.contextmanager
def fault_proxy(upstream_port: int, faults: Faults | None = None) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream_port, faults)
    try:
        yield proxy
    finally:
        proxy.close()


def upstream_port(url: str) -> int:
    from urllib.parse import urlsplit

    port = urlsplit(url).port
    assert port is not None
    return port


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The closing figures: faults injected by the proxies (each test asserts it survived them)."""
    if TALLY or RACES:
        terminalreporter.section("faults and races")
    if TALLY:
        total = sum(TALLY.values())
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(TALLY.items()))
        terminalreporter.write_line(f"faults injected: {total} ({kinds})")
    for line in RACES:
        terminalreporter.write_line(line)


def behind(index: TestIndex, proxy: FaultProxy) -> TestIndex:
    """`index` as reached through `proxy`."""
    path = index.upload_url.split("/", 3)[3]
    simple = index.simple_url.split("/", 3)[3]
    return TestIndex(
        f"{index.name} via proxy",
        proxy.url + path,
        proxy.url + simple,
        index.username,
        index.password,
        index.root,
    )
