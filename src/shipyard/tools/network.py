"""Talking to indexes over an unreliable network: timeouts, and retries of transient faults.

A transient fault (connection refused or reset, a timeout, HTTP 5xx, 429) is retried with
exponential backoff and full jitter (a random wait between 0 and the backoff step, so that many
clients that failed together do not retry together), bounded in attempts and in total time. An
index's `Retry-After` is honoured when it fits the budget. Refusals (401/403, 409, 400...) are
never retried: asking again cannot change the answer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from shipyard import events
from shipyard.errors import IndexError_

T = TypeVar("T")
_MAX_STEP = 8.0  # the backoff step stops growing here: waits stay short enough to watch
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
PAGE_LIMIT = 50 * 1024 * 1024  # a project page on pypi.org with thousands of files is a few MB
DOWNLOAD_LIMIT = 1024 * 1024 * 1024  # above PyPI's largest file-size limits


@dataclass(frozen=True)
class Network:
    """Timeouts, the retry budget, size limits and TLS files (config: retries, retry-timeout,
    retry-delay, read-timeout, upload-timeout, page-limit, download-limit, cert, client-cert)."""

    retries: int = 4  # retries after the first attempt
    retry_timeout: float = 60.0  # no retry starts later than this after the first attempt
    retry_delay: float = 0.5  # the first backoff step; doubled after every failure
    read_timeout: float = 60.0  # seconds of silence before a read gives up
    upload_timeout: float = 600.0  # seconds an upload may take in all, sending and waiting for the answer
    page_limit: int = PAGE_LIMIT  # bytes of an index page read at most
    download_limit: int = DOWNLOAD_LIMIT  # bytes of a file whose size nothing else tells
    cert: Path | None = None  # a CA bundle for every index, over REQUESTS_CA_BUNDLE / SSL_CERT_FILE
    system_certs: bool = False  # the OS's store (truststore) over the environment's bundles
    client_cert: Path | None = None  # certificate and key in one PEM, for indexes that require one


class TransientError(IndexError_):
    """A fault that may pass: worth another attempt (exit code 1 if the attempts run out)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        import email.utils  # only a Retry-After date needs the mail parser (--help does not)

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff(network: Network, failures: int) -> float:
    """Full jitter: a uniform wait in [0, step], the step doubling per failure up to a cap."""
    step = min(_MAX_STEP, network.retry_delay * 2 ** (failures - 1))
    return random.uniform(0.0, step)  # noqa: S311 - spreading retries, not cryptography


class Attempts:
    """Counts failures against the budget; `wait(exc)` sleeps before the next attempt, or
    raises `exc` (with how long it tried) once attempts or time run out."""

    def __init__(self, network: Network, what: str, emit: events.Emit = events.ignore) -> None:
        self.network, self.what, self.emit = network, what, emit
        self.failures = 0
        self.started = time.monotonic()

    def wait(self, exc: TransientError) -> None:
        self.failures += 1
        elapsed = time.monotonic() - self.started
        delay = exc.retry_after if exc.retry_after is not None else backoff(self.network, self.failures)
        budget_left = self.network.retry_timeout - elapsed
        if self.failures > self.network.retries or delay > budget_left:
            raise self.exhausted(exc) from None
        self.emit(
            events.Event(
                "info",  # progress on stdout: stderr keeps the one line that matters
                f"{exc.message}; retry {self.failures}/{self.network.retries} in {delay:.2f} s",
                {"retry": self.failures, "delay": delay, "what": self.what},
            )
        )
        time.sleep(delay)

    def exhausted(self, exc: TransientError) -> TransientError:
        if self.failures <= 1:
            return exc
        spent = time.monotonic() - self.started
        return TransientError(f"{exc.message} ({self.failures} attempts in {spent:.1f} s)")


def call(action: Callable[[], T], network: Network, what: str, emit: events.Emit = events.ignore) -> T:
    """`action()`, retried while it raises TransientError and the budget lasts."""
    attempts = Attempts(network, what, emit)
    while True:
        try:
            return action()
        except TransientError as exc:
            attempts.wait(exc)
