"""Folders shipyard writes inside a project (dist/, .shipyard/...) ignore themselves.

A `.gitignore` holding `*` keeps them out of `git status` and out of sdists built from the tree
(backends that honour .gitignore), as uv does for dist/.
"""

from __future__ import annotations

from pathlib import Path


def ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# written by shipyard: this folder is generated\n*\n")
    return folder
