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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from shipyard import events
from shipyard.dists import Dist
from shipyard.errors import UsageError
from shipyard.publish import audit
from shipyard.record import writer
from shipyard.record.writer import Steps
from shipyard.tools import git, workdirs

NAME = "record.json"
_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # sha1 or sha256


@dataclass(frozen=True)
class Journaled:
    """One release a journal names, as the run that wrote it reported it."""

    name: str
    version: str
    tag: str | None = None
    dists: tuple[Dist, ...] = ()
    stages: tuple[str, ...] = ()  # the repositories it was published to and verified on
    mode: str = "project"  # a single project's: project, tag or bump

    def as_json(self) -> dict[str, object]:
        mode = {"mode": self.mode} if self.mode != "project" else {}  # a package's has none
        return {
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "dists": [d.as_json() for d in self.dists],
            "stages": list(self.stages),
            **mode,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Journaled:
        """As written by `as_json`; what a hand-edited file lacks is left empty (validate() judges)."""
        dists, stages = raw.get("dists"), raw.get("stages")
        return cls(
            str(raw.get("name")),
            str(raw.get("version")),
            str(raw["tag"]) if raw.get("tag") else None,
            tuple(Dist.from_json(d) for d in dists if isinstance(d, dict)) if isinstance(dists, list) else (),
            tuple(str(s) for s in stages) if isinstance(stages, list) else (),
            str(raw.get("mode") or "project"),
        )


@dataclass(frozen=True)
class Journal:
    steps: Steps
    release: Mapping[str, object]  # as on disk: one project's Journaled and its command, or "packages"

    @property
    def releases(self) -> list[Journaled]:
        """The releases it names: a packaging repository's packages, or the one project's."""
        raw = self.release.get("packages")
        found = [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else [self.release]
        return [Journaled.from_json(p) for p in found]

    @property
    def command(self) -> str | None:
        """The command that finishes it, as the run that wrote it said it."""
        said = self.release.get("command")
        return said if isinstance(said, str) else None


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
        journal = Journal(Steps.from_json(doc["steps"]), release)
        journal.releases  # noqa: B018  (read now: a damaged entry is said here, not later)
        return journal
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is damaged ({exc}): remove it and re-run") from None


def validate(root: Path, pending: Journal, *, remote: str, stages: Sequence[str]) -> None:
    """Whoever can write .shipyard/ can write a journal: before any of it is carried out, its files
    lie inside the tree, its remote is the configured one, its ids are commit ids, and it releases
    only versions the audit log shows published to every stage (each tag one of them). UsageError,
    naming the file and what is wrong, when not."""
    wrong = _wrong(root, pending, remote, stages)
    if wrong is not None:
        raise UsageError(
            f"{path_of(root)} is not a record shipyard can finish: {wrong}; nothing was done (remove "
            "the file if no shipyard run of yours wrote it)"
        )


def _wrong(root: Path, pending: Journal, remote: str, stages: Sequence[str]) -> str | None:
    steps = pending.steps
    for sha in (steps.parent, steps.commit):
        if sha is not None and not _OBJECT_ID.fullmatch(sha):
            return f"{sha!r} is no commit id"
    if steps.remote != remote or remote.startswith("-"):
        return f"its remote {steps.remote!r} is not the configured remote {remote!r}"
    for rel in steps.files:
        if not _inside(root, rel):
            return f"its file {rel!r} lies outside the repository"
    if steps.branch is not None and not git.valid_ref(root, f"refs/heads/{steps.branch}"):
        return f"its branch {steps.branch!r} is no branch name"
    released = pending.releases
    for tag in steps.tags:
        of = [r for r in released if r.tag == tag.name]
        if not of or not git.valid_ref(root, f"refs/tags/{tag.name}"):
            return f"its tag {tag.name!r} is no tag of the release it names"
        if of[0].version not in tag.name:
            return f"its tag {tag.name!r} does not carry the version {of[0].version}"
    return _unpublished(root, released, stages)


def _inside(root: Path, rel: str) -> bool:
    """`rel` names a file in the work tree: relative, no `..`, not in .git, no link leading out."""
    parts = rel.split("/")
    if PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        return False
    if parts[0].lower() == ".git":
        return False
    top = root.resolve()
    where = (root / rel).resolve()  # a link in the tree is followed to where a write would land
    return where != top and where.is_relative_to(top)


def _unpublished(root: Path, released: Sequence[Journaled], stages: Sequence[str]) -> str | None:
    """What the audit log does not show published completely, of `released` to each stage."""
    log = audit.AuditLog.at(root, {}).path
    records = [r for r in audit.read(log) if r.get("complete") is True]
    for name, version in ((r.name, r.version) for r in released):
        for stage in stages:
            if not any(r.get("version") == version and audit.matches(r, name, stage) for r in records):
                return (
                    f"the audit log ({log}) shows no publish of {name} {version} to {stage}: a release "
                    "is recorded only once every stage has it"
                )
    return None


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
