"""The wall-clock deadline (tools.deadline) on real sockets: a read blocked on a peer that sends
too slowly is cut when the deadline passes, nested deadlines keep the earlier one, and whatever a
cut request raises ends as Expired."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from shipyard.tools import deadline
from shipyard.tools.deadline import Expired


def _trickle(peer: socket.socket, stop: threading.Event) -> None:
    """A byte every 0.2 s for 40 s: longer than the test allows, so only a cut read passes."""
    end = time.monotonic() + 40
    while not stop.is_set() and time.monotonic() < end:
        try:
            peer.send(b"x")
        except OSError:
            return
        time.sleep(0.2)


def test_a_read_from_a_peer_that_trickles_is_cut_at_the_deadline() -> None:
    ours, peer = socket.socketpair()
    stop = threading.Event()
    threading.Thread(target=_trickle, args=(peer, stop), daemon=True).start()
    started = time.monotonic()
    try:
        cut = r"reading the page was cut off by its deadline \(test, 1 s\)"
        with (
            pytest.raises(Expired, match=cut),
            deadline.within(1.0, "test, 1 s"),
            deadline.guarded("reading the page"),
        ):
            deadline.watch(ours)
            ours.settimeout(30)  # silence never lasts this long: only the deadline can end it
            while ours.recv(1):
                pass
            raise ConnectionError("the peer closed")  # what a cut body looks like to requests
    finally:
        stop.set()
        ours.close()
        peer.close()
    assert time.monotonic() - started < 1 + 20  # a loaded machine's margin


def test_an_inner_deadline_never_outlives_the_outer() -> None:
    with deadline.within(5.0, "outer") as outer:
        with deadline.within(60.0, "inner") as inner:
            assert inner is outer and deadline.current() is outer
        with deadline.within(1.0, "short") as short:
            assert short is not outer and deadline.current() is short
        assert deadline.current() is outer
    assert deadline.current() is None


def test_a_socket_watched_after_the_deadline_is_shut_at_once() -> None:
    ours, peer = socket.socketpair()
    try:
        with deadline.within(0.0, "none left") as spent:
            for _ in range(100):
                if spent.expired:
                    break
                time.sleep(0.05)
            deadline.watch(ours)
            ours.settimeout(5)
            assert ours.recv(1) == b""  # shut down: end of stream at once, not a 5 s wait
            with pytest.raises(Expired):
                spent.check("waiting")
    finally:
        ours.close()
        peer.close()


def test_without_a_deadline_errors_pass_unchanged() -> None:
    with pytest.raises(ConnectionError), deadline.guarded("reading"):
        raise ConnectionError("dropped")


def test_a_deadline_beyond_what_a_timer_can_wait_is_just_far() -> None:
    with deadline.within(1e15, "a configured 1e15 s") as far:
        assert not far.expired and far.left() > 1e14


def test_a_worker_thread_carrying_the_deadline_is_cut_with_it() -> None:
    """verify downloads a few files at once: each worker runs within the caller's deadline."""
    ours, peer = socket.socketpair()
    stop = threading.Event()
    threading.Thread(target=_trickle, args=(peer, stop), daemon=True).start()
    raised: list[BaseException] = []

    def worker(within: deadline.Deadline | None) -> None:
        try:
            with deadline.carried(within), deadline.guarded("downloading a file"):
                deadline.watch(ours)
                ours.settimeout(30)
                while ours.recv(1):
                    pass
                raise ConnectionError("the peer closed")
        except BaseException as exc:  # handed to the test's thread
            raised.append(exc)

    try:
        with deadline.within(1.0, "verify --timeout 1 s") as within:
            thread = threading.Thread(target=worker, args=(within,))
            thread.start()
            thread.join(25)
        assert deadline.current() is None
    finally:
        stop.set()
        ours.close()
        peer.close()
    assert not thread.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], Expired)
    assert "downloading a file was cut off by its deadline (verify --timeout 1 s)" in str(raised[0])
