"""What the library tells its caller while it works: events handed to a callback, never printed.

`cli` renders them for humans (rich) or collects them for --json.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Emit",
    "Event",
    "Kind",
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
