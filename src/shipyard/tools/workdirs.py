"""Folders shipyard writes inside a project (dist/, .shipyard/...) ignore themselves.

A `.gitignore` holding `*` keeps them out of `git status` and out of sdists built from the tree
(backends that honour .gitignore), as uv does for dist/.
"""

from __future__ import annotations

from pathlib import Path

STATE = ".shipyard"
_PATTERNS = frozenset({STATE, f"{STATE}/", f"/{STATE}", f"/{STATE}/", f"{STATE}/*", f"/{STATE}/*"})


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
        marker.write_text("# written by shipyard: this folder is generated\n*\n")
    return folder
