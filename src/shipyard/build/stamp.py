"""A private copy of the project with the release's version written in.

A version taken from a tag, or computed from commits, goes into the build and never into the user's
working tree before the release is verified: the copy holds the files git tracks or would track
(what a build sees), with the edits applied; `uv.lock` is refreshed there too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from shipyard.build.reproducible import SKIP_DIRS
from shipyard.errors import UsageError
from shipyard.tools import git
from shipyard.tools.procenv import child_env
from shipyard.tools.venvs import last_line


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
    from uv import find_uv_bin

    lock = copy / "uv.lock"
    if not lock.is_file():
        return None
    before = lock.read_bytes()
    proc = subprocess.run(
        [find_uv_bin(), "lock", "--offline", "--quiet"],
        cwd=copy,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise UsageError(
            f"uv.lock could not be updated for the new version ({last_line(proc.stderr)}): "
            "run `uv lock`, commit it, and release again",
            detail=proc.stderr,
        )
    after = lock.read_bytes()
    return after if after != before else None


@contextmanager
def stamped(root: Path, edits: Mapping[str, bytes]) -> Iterator[tuple[Path, dict[str, bytes]]]:
    """A temporary copy of `root` with `edits` applied; yields it and every edit made (uv.lock too)."""
    with tempfile.TemporaryDirectory(prefix="shipyard-stamp-") as tmp:
        copy = Path(tmp) / root.name
        for rel in sources(root):
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, target, follow_symlinks=False)
        for rel, data in edits.items():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            (copy / rel).write_bytes(data)
        made = dict(edits)
        if edits and (lock := _refresh_uv_lock(copy)) is not None:
            made["uv.lock"] = lock
        yield copy, made
