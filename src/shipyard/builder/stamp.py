"""The tree a release is built from: a temporary git worktree of HEAD with the release's edits.

A version taken from a tag, or computed from commits, goes into the build and never into the user's
working tree before the release is verified. For `--bump` the tree is the release commit itself
(edits and refreshed `uv.lock` committed, on no branch): the dists are built from the very commit
the branch and the tag later point at, so a rebuild from the tag gives the same files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shipyard import events
from shipyard.builder import uvlock
from shipyard.builder.reproducible import SKIP_DIRS
from shipyard.errors import UsageError
from shipyard.tools import git

Message = tuple[str, int | None]  # a commit's message and date (the build's SOURCE_DATE_EPOCH)


def sources(root: Path) -> list[str]:
    """The files a build sees: what git tracks or would track, else every file outside SKIP_DIRS."""
    if git.head(root) is not None:
        return git.files(root)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        found += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames]
    return found


@dataclass(frozen=True)
class ReleaseTree:
    path: Path  # the project's folder in the temporary checkout
    made: dict[str, bytes]  # every edit written there (uv.lock too, when it was refreshed)
    commit: str | None  # the release commit checked out there, when one was asked for


@contextmanager
def stamped(
    root: Path,
    edits: Mapping[str, bytes],
    commit: Message | None = None,
    project: tuple[str | None, str | None] = (None, None),
    emit: events.Emit = events.ignore,
) -> Iterator[ReleaseTree]:
    """A temporary detached checkout of HEAD with `edits` written in (and uv.lock recording
    `project`'s (name, version): builder/uvlock.py); with `commit` (message, epoch), the release
    commit of exactly that tree is made (not on any branch) and checked out, so the build sees
    what the tag will hold. A git worktree, so a backend that asks git for the files or the
    version (setuptools-scm) sees the commit's."""
    with edited_checkout(root, edits, "the release's version edits need one") as tree:
        made = dict(edits)
        if edits and (lock := uvlock.refresh(tree, *project, emit=emit)) is not None:
            made[uvlock.LOCK] = lock
        sha = None
        if commit is not None:
            sha = git.commit_tree(root, made, commit[0], epoch=commit[1])
            git.reset_hard(tree, sha)
        yield ReleaseTree(tree, made, sha)


@contextmanager
def edited_checkout(root: Path, edits: Mapping[str, bytes], why: str) -> Iterator[Path]:
    """A temporary detached git worktree of HEAD with `edits` written in; yields `root`'s folder in
    it. `why` completes the error outside a git repository."""
    top = git.toplevel(root)
    if top is None:
        raise UsageError(f"{root} is not in a git repository: {why}")
    base = root.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="shipyard-release-") as tmp:
        checkout = Path(tmp) / top.name
        git.worktree_add(root, checkout, "HEAD")
        try:
            tree = checkout / base
            for rel, data in edits.items():
                (tree / rel).parent.mkdir(parents=True, exist_ok=True)
                (tree / rel).write_bytes(data)
            yield tree
        finally:
            git.worktree_remove(root, checkout)
