"""A TCP proxy on 127.0.0.1 in front of a real index server, that injects faults.

`drop_replies=N`: the first N connections that send a POST reach the server in full, and the
moment the server answers, the client's connection is closed instead: the upload landed, the
reply is lost (what a dropped connection or a crashed load balancer does to twine users).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

_CHUNK = 65536


@dataclass
class Faults:
    drop_replies: int = 0
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_drop(self) -> bool:
        with self.lock:
            if self.dropped < self.drop_replies:
                self.dropped += 1
                return True
            return False


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client: socket.socket = self.request
        upstream = socket.create_connection(("127.0.0.1", self.server.upstream_port), timeout=60)
        lose_reply = threading.Event()
        back = threading.Thread(target=self._replies, args=(upstream, client, lose_reply), daemon=True)
        back.start()
        with upstream, contextlib.suppress(OSError):
            # requests reuse connections (keep-alive): every chunk may start a new request
            while data := client.recv(_CHUNK):
                if data.startswith(b"POST ") and self.server.faults.take_drop():
                    lose_reply.set()  # set before the server can see the request, so before it answers
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
        back.join(timeout=60)

    @staticmethod
    def _replies(upstream: socket.socket, client: socket.socket, lose_reply: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(_CHUNK):
                if lose_reply.is_set():
                    # the server has stored the upload and answered: the client never hears it
                    client.shutdown(socket.SHUT_RDWR)
                    client.close()
                    return
                client.sendall(data)
            client.shutdown(socket.SHUT_WR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream_port: int, faults: Faults) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream_port = upstream_port
        self.faults = faults


@contextlib.contextmanager
def fault_proxy(upstream_port: int, faults: Faults) -> Iterator[int]:
    """Run the proxy; yields the port it listens on (127.0.0.1)."""
    server = _Server(upstream_port, faults)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
