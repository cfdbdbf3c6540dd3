"""The record step's journal: what was published and verified, and what is left to record.

Written (atomically) once every stage verified and before git is touched; removed when the commit,
the tags and the push are done. A run that finds it finishes that record instead of deciding a new
release, so a kill at any point of the record (before the commit, between the commit and the tag,
before the push) is finished by re-running the same command, and nothing is published twice.
`.shipyard/state/record.json` holds the steps (record/writer.Steps) and the release as reported:
one project's, or a packaging repository's packages (their tags on one commit).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard import events
from shipyard.errors import UsageError
from shipyard.record import writer
from shipyard.record.writer import Steps
from shipyard.tools import git, workdirs

NAME = "record.json"


@dataclass(frozen=True)
class Journal:
    steps: Steps
    release: Mapping[str, object]  # what the run that wrote it released: name, version, dists...


def path_of(root: Path) -> Path:
    return root / workdirs.STATE / "state" / NAME


def save(root: Path, journal: Journal) -> None:
    path = path_of(root)
    workdirs.ensure(path.parent.parent)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{NAME}.{os.getpid()}.tmp")
    doc = {"steps": journal.steps.as_json(), "release": dict(journal.release)}
    with tmp.open("w") as f:
        f.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())  # on disk before git is touched: a power cut is a kill too
    os.replace(tmp, path)


def load(root: Path) -> Journal | None:
    """The journal of a record not finished, or None."""
    path = path_of(root)
    try:
        doc = json.loads(path.read_text())
        release = doc["release"]
        if not isinstance(release, dict):
            raise ValueError("release is not a table")
        return Journal(Steps.from_json(doc["steps"]), release)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is damaged ({exc}): remove it and re-run") from None


def clear(root: Path) -> None:
    path_of(root).unlink(missing_ok=True)


def _said(what: str, many: bool) -> str:
    return f"{what} {'are' if many else 'is'} published and verified"


def check_command(root: Path, what: str, said: str, asked: str, *, many: bool = False) -> None:
    """Only the command that released `what` (`said`) finishes its record: another is refused."""
    if said != asked:
        them, their = ("them", "their") if many else ("it", "its")
        raise UsageError(
            f"{_said(what, many)}, but the run that released {them} stopped before {their} commit, "
            f"tag{'s' if many else ''} and push were done: finish it with `{said}` "
            f"(the journal is {path_of(root)})"
        )


def check_head(root: Path, what: str, steps: Steps, *, many: bool = False) -> None:
    """HEAD is where the journaled release left it: on the commit's parent or on the commit."""
    if (head := git.head(root)) not in (steps.parent, steps.commit or steps.parent):
        raise UsageError(
            f"{_said(what, many)}, but HEAD moved to {(head or '?')[:12]} before "
            f"{'their' if many else 'its'} record was finished: check out {steps.parent[:12]} and "
            f"re-run to finish it, or remove {path_of(root)} to record it by hand"
        )


def carry_out(root: Path, steps: Steps, emit: events.Emit) -> writer.Recorded:
    """The journaled steps; the journal goes when they are done, or when only the push is left and
    failed (its error names the one command that finishes the release: a push by hand must not
    leave a journal that a later release would try to finish)."""
    try:
        recorded = writer.carry_out(root, steps, emit)
    except writer.PushFailed:
        clear(root)
        raise
    clear(root)
    return recorded
