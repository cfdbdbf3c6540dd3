"""After every stage verified: write the release's files into the tree, commit, tag, push.

The one writer for both release kinds (one project, a packaging repository's packages). Only here
does a release touch the user's repository, so a failed release leaves no tag and no changed file.
A commit that fails puts the files back as they were (a re-run resumes the release).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard import events
from shipyard.errors import GitError
from shipyard.tools import git


@dataclass(frozen=True)
class Commit:
    message: str
    edits: Mapping[str, bytes]  # path (relative to the root) -> its new content
    epoch: int | None  # the commit's date: the build's, so a rebuild from the tag gives the same bytes


@dataclass(frozen=True)
class Tag:
    name: str
    message: str


@dataclass(frozen=True)
class Record:
    """What a release writes into its repository."""

    commit: Commit | None  # None: tags only
    tags: tuple[Tag, ...] = ()  # made on HEAD (the release commit, when there is one)
    branch: str | None = None  # where a pushed commit goes


@dataclass(frozen=True)
class Recorded:
    commit: str | None = None
    tags: tuple[str, ...] = ()
    pushed: bool = False


def write_files(root: Path, edits: Mapping[str, bytes]) -> dict[str, bytes | None]:
    """Write every edit (atomically per file); returns what was there before."""
    before: dict[str, bytes | None] = {}
    for rel, data in edits.items():
        path = root / rel
        before[rel] = path.read_bytes() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.shipyard-{os.getpid()}")
        tmp.write_bytes(data)
        if path.exists():
            tmp.chmod(path.stat().st_mode)
        os.replace(tmp, path)
    return before


def restore_files(root: Path, before: Mapping[str, bytes | None]) -> None:
    for rel, data in before.items():
        if data is None:
            (root / rel).unlink(missing_ok=True)
        else:
            (root / rel).write_bytes(data)


def _commit(root: Path, commit: Commit, emit: events.Emit) -> str:
    files = sorted(commit.edits)
    before = write_files(root, commit.edits)
    try:
        sha = git.commit(root, files, commit.message, epoch=commit.epoch)
    except GitError:
        restore_files(root, before)
        raise
    events.info(emit, f"committed {', '.join(files)} as {sha[:12]}")
    return sha


def _said(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]


def record(root: Path, what: Record, *, push: bool, remote: str, emit: events.Emit) -> Recorded:
    """edits -> commit -> tags -> push (atomic: all of the refs land, or none)."""
    sha = _commit(root, what.commit, emit) if what.commit is not None else None
    for tag in what.tags:
        git.create_tag(root, tag.name, tag.message)
    tags = [t.name for t in what.tags]
    if tags:
        events.info(emit, f"tagged {', '.join(tags)}")
    branch = [what.branch] if sha and what.branch else []
    refs = [f"HEAD:refs/heads/{b}" for b in branch] + [f"refs/tags/{t}" for t in tags]
    if not (push and refs):
        return Recorded(sha, tuple(tags))
    git.push(root, remote, refs)
    events.info(emit, f"pushed {_said([*branch, *tags])} to {remote}")
    return Recorded(sha, tuple(tags), pushed=True)
