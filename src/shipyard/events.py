"""What the library tells its caller while it works: events handed to a callback, never printed.

`cli` renders them for humans (rich) or collects them for --json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Clock",
    "Emit",
    "Event",
    "Kind",
    "Timed",
    "ignore",
    "info",
    "phase",
    "step",
    "warning",
]

Kind = Literal["step", "info", "warning", "file", "progress", "phase"]


@dataclass(frozen=True)
class Event:
    kind: Kind
    message: str
    data: dict[str, object] = field(default_factory=dict)


Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An `Emit` for callers that do not listen."""


def step(emit: Emit, message: str, **data: object) -> None:
    emit(Event("step", message, data))


def info(emit: Emit, message: str, **data: object) -> None:
    emit(Event("info", message, data))


def warning(emit: Emit, message: str, **data: object) -> None:
    emit(Event("warning", message, data))


def phase(emit: Emit, name: str, stage: str | None = None) -> None:
    """The start of a timed part of a release (build, check, test-install, publish and verify of a
    stage, record); it ends where the next one starts, or with the result. Never printed: `--json`
    reports each one's duration."""
    emit(Event("phase", name, {"stage": stage} if stage else {}))


class Clock:
    """The timed parts of a run: each `phase` event ends the part running and starts its own, `stop`
    ends the last. `first` names the part before the first phase (recorded only once a phase came:
    a command that announced none reports no durations)."""

    def __init__(self, first: str = "") -> None:
        self._running: tuple[str, str | None, float] = (first, None, time.perf_counter())
        self._announced = False
        self.durations: list[dict[str, object]] = []

    def mark(self, event: Event) -> None:
        stage = event.data.get("stage")
        self._next(event.message, stage if isinstance(stage, str) else None)
        self._announced = True

    def stop(self) -> list[dict[str, object]]:
        self._next(None, None)
        return self.durations

    def _next(self, following: str | None, stage: str | None) -> None:
        name, its_stage, start = self._running
        now = time.perf_counter()
        if name and (self._announced or following is not None):
            step: dict[str, object] = {"step": name, "seconds": round(now - start, 4)}
            self.durations.append(step | ({"stage": its_stage} if its_stage else {}))
        self._running = (following or "", stage, now)


class Timed:
    """An `Emit` that times the phases it is handed on a clock of its own and passes every other event
    on: a package released beside others, whose output is held and shown later, gets its own times."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.clock = Clock()

    def __call__(self, event: Event) -> None:
        if event.kind == "phase":
            self.clock.mark(event)
        else:
            self.emit(event)
