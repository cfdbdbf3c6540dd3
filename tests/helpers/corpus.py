"""The corpus of real pipeline files (tests/ci/corpus/MANIFEST.toml) and how `ci check` scores on it:
the error-level findings it makes against the ones a reader expects, file by file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shipyard.ci.lint import check as lint
from shipyard.ci.lint.findings import ERROR
from shipyard.tools.tomlread import tomllib

CORPUS = Path(__file__).resolve().parents[1] / "ci" / "corpus"

Place = tuple[int, str]  # (line, rule)


@dataclass(frozen=True)
class Entry:
    path: Path
    shown: str  # the path it has in its own repository (the CI is told by it)
    origin: str
    expected: frozenset[Place]
    missed: frozenset[Place]
    batch: str = "own"  # "fresh": the set picked by someone other than the rules' author

    def found(self) -> frozenset[Place]:
        findings = lint.check_file(self.path, self.shown)
        return frozenset((f.line or 0, f.rule) for f in findings if f.level == ERROR)


def entries() -> list[Entry]:
    manifest = tomllib.loads((CORPUS / "MANIFEST.toml").read_text(encoding="utf-8"))
    made = []
    for item in manifest["file"]:
        path = (CORPUS / item["path"]).resolve()
        origin = str(item["origin"])
        shown = origin.split(":", 1)[1] if "@" in origin else path.name
        made.append(
            Entry(
                path,
                shown,
                origin,
                frozenset((int(line), str(rule)) for line, rule in item["errors"]),
                frozenset((int(line), str(rule)) for line, rule in item.get("missed", [])),
                str(item.get("set", "own")),
            )
        )
    return made


@dataclass(frozen=True)
class Score:
    true: int
    false: int
    missed: int

    @property
    def precision(self) -> float:
        return self.true / (self.true + self.false) if self.true + self.false else 1.0

    @property
    def recall(self) -> float:
        return self.true / (self.true + self.missed) if self.true + self.missed else 1.0


def score(all_entries: list[Entry]) -> Score:
    true = false = missed = 0
    for entry in all_entries:
        found = entry.found()
        true += len(found & entry.expected)
        false += len(found - entry.expected)
        missed += len(entry.expected - found)
    return Score(true, false, missed)
