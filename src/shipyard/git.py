"""A thin wrapper over the git CLI: only what the release needs, nothing cached."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def toplevel(path: Path) -> Path | None:
    """The work tree that contains `path`, or None outside git (or without git installed)."""
    try:
        result = _git(path, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        return None
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def last_commit_time(path: Path) -> int | None:
    """Unix time of HEAD's commit, or None when there is no commit."""
    result = _git(path, "log", "-1", "--format=%ct")
    text = result.stdout.strip()
    return int(text) if result.returncode == 0 and text.isdigit() else None


def is_tracked(path: Path) -> bool:
    """Whether git tracks the file at `path` (False outside a repository)."""
    if toplevel(path.parent) is None:
        return False
    return _git(path.parent, "ls-files", "--error-unmatch", path.name).returncode == 0
