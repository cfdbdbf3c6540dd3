"""One finding, for `shipyard doctor` and `shipyard ci check` alike: where, which rule, how bad, what
is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]
ERROR: Level = "error"
WARNING: Level = "warning"


@dataclass(frozen=True)
class Finding:
    file: str  # relative to the project where it is inside it
    line: int | None  # None: the file as a whole
    rule: str
    level: Level
    message: str
    fix: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.level} [{self.rule}] {self.message} (fix: {self.fix})"
