"""The tree a release is built from: a temporary git worktree of HEAD with the release's edits.

A version taken from a tag, or computed from commits, goes into the build and never into the user's
working tree before the release is verified. For `--bump` the tree is the release commit itself
(edits and refreshed `uv.lock` committed, on no branch): the dists are built from the very commit
the branch and the tag later point at, so a rebuild from the tag gives the same files.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shipyard.builder.reproducible import SKIP_DIRS
from shipyard.errors import UsageError
from shipyard.tools import git, venvs
from shipyard.tools.procenv import child_env

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


def _refresh_uv_lock(copy: Path) -> bytes | None:
    """The lock file with the project's new version, resolved offline from the lock itself."""
    lock = copy / "uv.lock"
    if not lock.is_file():
        return None
    before = lock.read_bytes()
    proc = subprocess.run(
        [venvs.uv(), "lock", "--offline", "--quiet"],
        cwd=copy,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise UsageError(
            f"uv.lock could not be updated for the new version ({venvs.last_line(proc.stderr)}): "
            "run `uv lock`, commit it, and release again",
            detail=proc.stderr,
        )
    after = lock.read_bytes()
    return after if after != before else None


@dataclass(frozen=True)
class ReleaseTree:
    path: Path  # the project's folder in the temporary checkout
    made: dict[str, bytes]  # every edit written there (uv.lock too, when it was refreshed)
    commit: str | None  # the release commit checked out there, when one was asked for


@contextmanager
def stamped(root: Path, edits: Mapping[str, bytes], commit: Message | None = None) -> Iterator[ReleaseTree]:
    """A temporary detached checkout of HEAD with `edits` written in (and uv.lock refreshed for
    them); with `commit` (message, epoch), the release commit of exactly that tree is made (not on
    any branch) and checked out, so the build sees what the tag will hold. A git worktree, so a
    backend that asks git for the files or the version (setuptools-scm) sees the commit's."""
    top = git.toplevel(root)
    if top is None:
        raise UsageError(f"{root} is not in a git repository: the release's version edits need one")
    base = root.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="shipyard-release-") as tmp:
        checkout = Path(tmp) / top.name
        git.worktree_add(root, checkout, "HEAD")
        try:
            tree = checkout / base
            for rel, data in edits.items():
                (tree / rel).parent.mkdir(parents=True, exist_ok=True)
                (tree / rel).write_bytes(data)
            made = dict(edits)
            if edits and (lock := _refresh_uv_lock(tree)) is not None:
                made["uv.lock"] = lock
            sha = None
            if commit is not None:
                sha = git.commit_tree(root, made, commit[0], epoch=commit[1])
                git.reset_hard(tree, sha)
            yield ReleaseTree(tree, made, sha)
        finally:
            git.worktree_remove(root, checkout)
