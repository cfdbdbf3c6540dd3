"""Wall-clock deadlines for requests: the one bound on how long talking to an index may take.

A socket's read timeout measures silence only: a server that sends one byte a second never
trips it. So every request runs `within` a deadline, and the sockets it uses are watched: when
the deadline passes, a timer shuts them down, the blocked read returns, and the caller turns
the failure into `Expired` (one clear error, never retried: the time is spent). Deadlines nest:
an inner one never outlives the outer (verify's --timeout over each read's retry budget).
The sockets are handed over by index.transport's connection classes (`watch`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from shipyard.errors import IndexError_


class Expired(IndexError_):
    """A deadline passed while a request was still running (exit 1; not retried)."""


@dataclass(eq=False)
class Deadline:
    at: float  # time.monotonic() when it passes
    what: str  # what sets it, for the message: "verify --timeout 10 s"
    expired: bool = False
    _sockets: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def left(self) -> float:
        return self.at - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            passed = self.expired
        if passed:
            _shut(sock)

    def fire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)

    def check(self, doing: str) -> None:
        """Raise Expired if the deadline has passed (also when no socket noticed)."""
        if self.expired or self.left() <= 0:
            self.expired = True
            raise self.error(doing)

    def error(self, doing: str) -> Expired:
        return Expired(
            f"{doing} was cut off by its deadline ({self.what}): the server sends too slowly or "
            "without end; check the index, or raise that timeout if it is only slow"
        )


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing to stop
        sock.shutdown(socket.SHUT_RDWR)


_local = threading.local()


def current() -> Deadline | None:
    """The deadline the requests of this thread run within, if any."""
    stack: list[Deadline] = getattr(_local, "stack", [])
    return stack[-1] if stack else None


def watch(sock: socket.socket | None) -> None:
    """Let the current deadline shut `sock` down when it passes."""
    if (deadline := current()) is not None:
        deadline.watch(sock)


@contextlib.contextmanager
def within(seconds: float, what: str) -> Iterator[Deadline]:
    """Run the block's requests within `seconds` (or the outer deadline, if that passes first)."""
    outer = current()
    at = time.monotonic() + seconds
    if outer is not None and outer.at <= at:
        yield outer
        return
    deadline = Deadline(at, what)
    timer = threading.Timer(min(max(0.0, seconds), threading.TIMEOUT_MAX), deadline.fire)  # 1e12 s: no crash
    timer.daemon = True
    stack: list[Deadline] = _local.__dict__.setdefault("stack", [])
    stack.append(deadline)
    timer.start()
    try:
        yield deadline
    finally:
        timer.cancel()
        stack.remove(deadline)


@contextlib.contextmanager
def carried(deadline: Deadline | None) -> Iterator[None]:
    """Run this thread's requests within `deadline`, another thread's (a worker of its downloads):
    its owner's timer shuts this thread's sockets down too."""
    if deadline is None:
        yield
        return
    stack: list[Deadline] = _local.__dict__.setdefault("stack", [])
    stack.append(deadline)
    try:
        yield
    finally:
        stack.remove(deadline)


@contextlib.contextmanager
def guarded(doing: str) -> Iterator[None]:
    """Whatever the block raises (a dropped connection, a short body) or returns, once the current
    deadline has passed it ends as Expired, naming `doing`."""
    deadline = current()
    try:
        yield
    except Exception:
        if deadline is not None and deadline.expired:
            raise deadline.error(doing) from None
        raise
    if deadline is not None and deadline.expired:
        deadline.check(doing)
