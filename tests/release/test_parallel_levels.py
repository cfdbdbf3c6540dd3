"""release.parallel.run_levels, on plain units: the units of a level run at the same time, each
one's events reach the caller together when it is done, a failure lets the started ones finish and
starts no other, and jobs 1 is the serial loop (issue 25, point 2)."""

from __future__ import annotations

import threading

import pytest

from shipyard import events
from shipyard.errors import StepFailed
from shipyard.release.parallel import Serialized, run_levels, workers

WAIT = 60.0  # a barrier that long is never reached by units run one after another: a hang, not a time


def _collect() -> tuple[list[events.Event], Serialized]:
    seen: list[events.Event] = []
    return seen, Serialized(seen.append)


def _blocks(seen: list[events.Event]) -> list[list[str]]:
    """The events, cut at each unit's heading step."""
    blocks: list[list[str]] = []
    for e in seen:
        if e.kind == "step":
            blocks.append([])
        blocks[-1].append(e.message)
    return blocks


def test_a_level_runs_at_once_and_each_units_events_come_together() -> None:
    together = threading.Barrier(3, timeout=WAIT)  # all three must be working at the same moment

    def work(unit: str, emit: events.Emit) -> str:
        events.info(emit, f"{unit} starts")
        if unit != "d":  # d is a level of its own
            together.wait()  # the others started too: their events are made meanwhile
        events.info(emit, f"{unit} ends")
        return unit.upper()

    seen, emit = _collect()
    outcome = run_levels([["a", "b", "c"], ["d"]], work, lambda u: f"unit {u}", emit, jobs=3)
    assert [u for u, _ in outcome.done] == ["a", "b", "c", "d"] and [r for _, r in outcome.done][-1] == "D"
    blocks = _blocks(seen)
    assert sorted(b[0] for b in blocks[:3]) == ["unit a", "unit b", "unit c"]
    for block in blocks:  # never interleaved: a unit's heading, its start, its end
        unit = block[0].removeprefix("unit ")
        assert block == [f"unit {unit}", f"{unit} starts", f"{unit} ends"]
    assert blocks[-1][0] == "unit d"  # the next level after the whole of the one before


def test_a_failure_lets_the_started_finish_and_starts_nothing_more() -> None:
    b_failed = threading.Event()
    ran: list[str] = []

    def work(unit: str, emit: events.Emit) -> str:
        ran.append(unit)
        if unit == "b":
            events.info(emit, "b tests")
            b_failed.set()
            raise StepFailed("b: the tests fail")
        if unit == "a":
            assert b_failed.wait(WAIT)  # a is still working when b fails: it finishes all the same
        return unit

    seen, emit = _collect()
    outcome = run_levels([["a", "b", "c", "d"], ["e"]], work, lambda u: f"unit {u}", emit, jobs=2)
    assert [u for u, _ in outcome.done] == ["a"]
    assert [(u, str(e)) for u, e in outcome.failed] == [("b", "b: the tests fail")]
    assert outcome.not_started == ["c", "d", "e"] and sorted(ran) == ["a", "b"]
    assert _blocks(seen) == [["unit b", "b tests"], ["unit a"]]  # in the order they ended


def test_jobs_1_is_the_serial_loop() -> None:
    seen, emit = _collect()
    threads: set[str] = set()

    def work(unit: str, emit: events.Emit) -> str:
        threads.add(threading.current_thread().name)
        if unit == "b":
            raise StepFailed("b fails")
        events.info(emit, f"{unit} done")
        return unit

    outcome = run_levels([["a", "b", "c"]], work, lambda u: f"unit {u}", emit, jobs=1)
    assert threads == {threading.current_thread().name}
    assert [u for u, _ in outcome.done] == ["a"] and outcome.not_started == ["c"]
    assert [e.message for e in seen] == ["unit a", "a done", "unit b"]


def test_an_unexpected_error_is_raised_after_the_others_end() -> None:
    ended: list[str] = []

    def work(unit: str, emit: events.Emit) -> str:
        if unit == "a":
            raise KeyError("a bug")
        ended.append(unit)
        return unit

    seen, emit = _collect()
    with pytest.raises(KeyError):
        run_levels([["a", "b"]], work, lambda u: f"unit {u}", emit, jobs=2)
    assert "unit a" in [e.message for e in seen]  # its output shown all the same


def test_workers_zero_is_one_more_than_the_cores() -> None:
    assert workers(0) >= 2 and workers(3) == 3  # one more than the cores: the waits filled
