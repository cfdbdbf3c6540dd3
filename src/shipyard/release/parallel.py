"""Release units (a packaging repository's packages, or any other kind) level by level, the units
of one level at once, bounded by `jobs`.

The work is mostly child processes (pytest, uv, pip, the index's answers), so threads suffice. Each
unit's events are held back while it works and shown together when it is done, never interleaved
with another's; `Serialized` is the one way events reach the caller meanwhile (a token minted for a
stage says so from whichever thread first uploads). A failure lets the units already started finish
and starts no other; no later level starts. `jobs` 1 is the serial loop: each event as it comes, and
the first failure stops the run.
"""

from __future__ import annotations

import os
import sysconfig
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shipyard import events
from shipyard.errors import ShipyardError

U = TypeVar("U")  # a release unit
R = TypeVar("R")  # what releasing one gives


class Serialized:
    """An `Emit` that hands one event, or one unit's block of events, to `emit` at a time."""

    def __init__(self, emit: events.Emit) -> None:
        self._emit = emit
        self._lock = threading.RLock()

    def __call__(self, event: events.Event) -> None:
        with self._lock:
            self._emit(event)

    def block(self, held: Sequence[events.Event]) -> None:
        with self._lock:
            for event in held:
                self._emit(event)


@dataclass
class Outcome(Generic[U, R]):
    """What became of the units: released (in the order given), failed, or never started."""

    done: list[tuple[U, R]] = field(default_factory=list)
    failed: list[tuple[U, ShipyardError]] = field(default_factory=list)
    not_started: list[U] = field(default_factory=list)


class _Held:
    """An `Emit` that keeps a unit's events, under its heading, until the unit is done."""

    def __init__(self, heading: str) -> None:
        self.events = [events.Event("step", heading)]

    def __call__(self, event: events.Event) -> None:
        if event.kind != "progress":  # an upload's bar, shown once the upload is over, says nothing
            self.events.append(event)


def workers(jobs: int) -> int:
    """How many units run at once: `jobs`, or for 0 one more than the cores. A package's steps wait
    on the disk and on child processes between their CPU work, and the one more fills those waits
    (30 packages on 2 cores: 2 at once 17.9 s, 3 at once 15.1 s, 4 at once 16.0 s)."""
    if jobs > 0:
        return jobs
    try:  # the cores this process may run on (a container's share), where the system tells
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, cores) + 1


def run_levels(
    levels: Sequence[Sequence[U]],
    work: Callable[[U, events.Emit], R],
    title: Callable[[U], str],
    emit: Serialized,
    jobs: int,
    between: Callable[[], None] = lambda: None,
) -> Outcome[U, R]:
    """`work(unit, emit)` for every unit, a level after the one before it verified whole; `title`:
    the step that heads a unit's output; `between`: run after each level, no unit at work."""
    outcome: Outcome[U, R] = Outcome()
    for n, level in enumerate(levels):
        if outcome.failed:
            outcome.not_started += [u for rest in levels[n:] for u in rest]
            break
        try:
            if workers(jobs) == 1 or len(level) == 1:
                _serial(level, work, title, emit, outcome)
            else:
                _parallel(level, work, title, emit, outcome, min(workers(jobs), len(level)))
        finally:
            between()
    return outcome


def _serial(
    level: Sequence[U],
    work: Callable[[U, events.Emit], R],
    title: Callable[[U], str],
    emit: Serialized,
    outcome: Outcome[U, R],
) -> None:
    for n, unit in enumerate(level):
        events.step(emit, title(unit))
        try:
            outcome.done.append((unit, work(unit, emit)))
        except ShipyardError as exc:
            outcome.failed.append((unit, exc))
            outcome.not_started += level[n + 1 :]
            return


def _parallel(
    level: Sequence[U],
    work: Callable[[U, events.Emit], R],
    title: Callable[[U], str],
    emit: Serialized,
    outcome: Outcome[U, R],
    at_once: int,
) -> None:
    # filled on first use without a lock before Python 3.12: a second thread read a half-filled
    # table (uv's find_uv_bin got None for EXE), so fill it before the threads start
    sysconfig.get_config_vars()
    stop = threading.Event()
    results: dict[int, R] = {}
    errors: dict[int, ShipyardError] = {}

    def one(n: int, unit: U) -> None:
        if stop.is_set():
            return  # a unit of this level failed: this one is left for the re-run
        held = _Held(title(unit))
        try:
            results[n] = work(unit, held)
        except ShipyardError as exc:
            errors[n] = exc
            stop.set()
        except BaseException:
            stop.set()
            raise
        finally:
            emit.block(held.events)

    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="shipyard-release") as pool:
        futures: list[Future[None]] = [pool.submit(one, n, u) for n, u in enumerate(level)]
        for future in futures:  # an unexpected error is raised once every started unit ended
            future.result()
    for n, unit in enumerate(level):
        if n in errors:
            outcome.failed.append((unit, errors[n]))
        elif n in results:
            outcome.done.append((unit, results[n]))
        else:
            outcome.not_started.append(unit)
