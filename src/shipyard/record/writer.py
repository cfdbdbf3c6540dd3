"""After every stage verified: move the branch to the release commit, tag it, push.

The one writer for both release kinds (one project, a packaging repository's packages). Only here
does a release touch the user's repository, so a failed release leaves no tag and no changed file.
The release commit is made beforehand, on no branch (git.commit_tree): recording is a list of
`Steps`, each of which a re-run finds done or does (record/journal.py keeps them across a kill).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard import events
from shipyard.errors import GitError, UsageError
from shipyard.tools import git


@dataclass(frozen=True)
class Commit:
    message: str
    edits: Mapping[str, bytes]  # path (relative to the root) -> its new content
    epoch: int | None  # the commit's date: the build's, so a rebuild from the tag gives the same bytes
    sha: str | None = None  # made already: the commit the release was built from


@dataclass(frozen=True)
class Tag:
    name: str
    message: str


@dataclass(frozen=True)
class Record:
    """What a release writes into its repository."""

    commit: Commit | None  # None: tags only
    tags: tuple[Tag, ...] = ()  # made on the release commit (HEAD when there is none)
    branch: str | None = None  # where a pushed commit goes


@dataclass(frozen=True)
class Steps:
    """A record as steps that can each be found done: HEAD moves from `parent` to `commit` (the
    files follow), the tags point at the commit, the refs are pushed."""

    parent: str  # HEAD when the release was decided
    commit: str | None
    files: tuple[str, ...]  # what the commit changes, relative to the root
    tags: tuple[Tag, ...]
    branch: str | None
    push: bool
    remote: str

    def as_json(self) -> dict[str, object]:
        tags = [{"name": t.name, "message": t.message} for t in self.tags]
        return {**self.__dict__, "files": list(self.files), "tags": tags}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Steps:
        """The steps as written by as_json; ValueError for anything else."""
        try:
            tags = tuple(Tag(str(t["name"]), str(t["message"])) for t in raw["tags"])  # type: ignore[attr-defined]
            files = tuple(str(f) for f in raw["files"])  # type: ignore[attr-defined]
            commit, branch = raw["commit"], raw["branch"]
            return cls(
                str(raw["parent"]),
                None if commit is None else str(commit),
                files,
                tags,
                None if branch is None else str(branch),
                bool(raw["push"]),
                str(raw["remote"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a record: {exc}") from None


class PushFailed(GitError):
    """The record is complete here, only the push failed: the message says the command that
    finishes it (a re-run would find nothing left to do but that push)."""


@dataclass(frozen=True)
class Recorded:
    commit: str | None = None
    tags: tuple[str, ...] = ()
    pushed: bool = False


def guard_locks(root: Path, tags: Sequence[str], branch: str | None) -> None:
    """Refuse, naming it, a lock file a killed git left behind (the record would fail on it)."""
    names = ["index.lock", "HEAD.lock", "packed-refs.lock", *(f"refs/tags/{t}.lock" for t in tags)]
    names += [f"refs/heads/{branch}.lock"] if branch else []
    for name in names:
        if (path := git.git_path(root, name)).exists():
            raise UsageError(
                f"{path} is left over from a git command that was stopped: remove it (when no git "
                "command is running in this repository) and re-run"
            )


def steps_of(root: Path, what: Record, *, push: bool, remote: str) -> Steps:
    """The steps of `what`, its release commit made (on no branch) if it was not yet."""
    head = git.head(root)
    if head is None:
        raise UsageError(f"{root} has no commit to record the release on")
    commit = what.commit
    sha = (
        None
        if commit is None
        else commit.sha or git.commit_tree(root, commit.edits, commit.message, epoch=commit.epoch)
    )
    files = tuple(sorted(commit.edits)) if commit is not None else ()
    return Steps(head, sha, files, what.tags, what.branch, push, remote)


def _write_files(root: Path, edits: Mapping[str, bytes]) -> None:
    """Write every edit atomically per file (a kill leaves each file old or new, never half)."""
    for rel, data in edits.items():
        path = root / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.shipyard-{os.getpid()}")
        tmp.write_bytes(data)
        if path.exists():
            tmp.chmod(path.stat().st_mode)
        os.replace(tmp, path)


def _move_head(root: Path, steps: Steps, emit: events.Emit) -> None:
    assert steps.commit is not None
    head = git.head(root)
    if head == steps.parent:
        git.move_head(root, steps.commit, steps.parent)
    elif head != steps.commit:
        raise UsageError(
            f"HEAD moved to {(head or '?')[:12]} since the release was published: its release commit "
            f"{steps.commit[:12]} is a child of {steps.parent[:12]}; check that commit out and re-run, "
            "or git tag the release commit by hand"
        )
    # the files and the index follow HEAD (again, when a run stopped in between)
    edits = {rel: git.show(root, steps.commit, rel) for rel in steps.files}
    _write_files(root, {rel: data for rel, data in edits.items() if data is not None})
    git.reset_index(root, steps.commit, list(steps.files))
    events.info(emit, f"committed {', '.join(steps.files)} as {steps.commit[:12]}")


def _said(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]


def carry_out(root: Path, steps: Steps, emit: events.Emit) -> Recorded:
    """commit (HEAD moved to it) -> tags -> push; a step found done is not done again, and the push
    is atomic (all of the refs land, or none)."""
    guard_locks(root, [t.name for t in steps.tags], steps.branch)
    if steps.commit is not None:
        _move_head(root, steps, emit)
    on = steps.commit or steps.parent
    for tag in steps.tags:
        found = git.tag_commit(root, tag.name)
        if found is None:
            git.create_tag(root, tag.name, tag.message, on)
        elif found != on:
            raise UsageError(
                f"tag {tag.name} exists already on commit {found[:12]}, not on the release commit "
                f"{on[:12]}: remove the tag (git tag -d {tag.name}) and re-run"
            )
    tags = [t.name for t in steps.tags]
    if tags:
        events.info(emit, f"tagged {', '.join(tags)}")
    branch = [steps.branch] if steps.commit and steps.branch else []
    refs = [f"HEAD:refs/heads/{b}" for b in branch] + [f"refs/tags/{t}" for t in tags]
    if not (steps.push and refs):
        return Recorded(steps.commit, tuple(tags))
    try:
        git.push(root, steps.remote, refs)
    except GitError as exc:
        raise PushFailed(exc.message, detail=exc.detail) from None
    events.info(emit, f"pushed {_said([*branch, *tags])} to {steps.remote}")
    return Recorded(steps.commit, tuple(tags), pushed=True)


def record(root: Path, what: Record, *, push: bool, remote: str, emit: events.Emit) -> Recorded:
    """The release commit (made now unless it was), the tags and the push."""
    guard_locks(root, [t.name for t in what.tags], what.branch)
    return carry_out(root, steps_of(root, what, push=push, remote=remote), emit)
