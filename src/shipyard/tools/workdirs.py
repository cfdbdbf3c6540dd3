"""Folders shipyard writes inside a project (dist/, .shipyard/...) ignore themselves.

A `.gitignore` holding `*` keeps them out of `git status` and out of sdists built from the tree
(backends that honour .gitignore), as uv does for dist/.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from shipyard.errors import UsageError
from shipyard.tools import atomic

STATE = ".shipyard"
_PATTERNS = frozenset({STATE, f"{STATE}/", f"/{STATE}", f"/{STATE}/", f"{STATE}/*", f"/{STATE}/*"})


def cache_dir() -> Path:
    """shipyard's cache (build environments, a uv of its own): $SHIPYARD_CACHE_DIR, else the XDG one."""
    if value := os.environ.get("SHIPYARD_CACHE_DIR"):
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shipyard"


def unignored_state(root: Path) -> bool:
    """Whether `root/.shipyard` exists but the root .gitignore does not name it.

    Backends such as hatchling read only the root .gitignore, so such a folder ends up in the sdist.
    """
    if not (root / STATE).exists():
        return False
    try:
        lines = (root / ".gitignore").read_text().splitlines()
    except OSError:
        return True
    return not any(line.strip() in _PATTERNS for line in lines)


def ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".gitignore"
    if not marker.exists():
        atomic.write_text(marker, "# written by shipyard: this folder is generated\n*\n")
    return folder


def writable(folder: Path, what: str) -> None:
    """UsageError unless a file can be made in `folder` (while it does not exist, in the nearest
    folder above it that does): asked before a release uploads, so that a read-only
    `.shipyard/state/` stops it before any upload, not after the stages verified."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        fd, name = tempfile.mkstemp(prefix=".shipyard-probe-", dir=probe)
        os.close(fd)
        Path(name).unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write {folder} ({exc.strerror or exc}), where shipyard records {what}: make it "
            "writable and run it again (nothing was uploaded)"
        ) from None
