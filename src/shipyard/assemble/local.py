"""Imports of a packaging repository's own files: which component a relative import reaches
(`from .components.bundle.x import y`, package-auto-assembler's way), and whether it reaches a
file that ships with the package at all.

A relative import is resolved against the folder the file sits in once packaged: a module file and
its components keep their folders (`modules/NAME.py` becomes `NAME/NAME.py` beside
`NAME/components/`), and the cli, api and apps files sit beside the module (`NAME/cli.py`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scope:
    """Where the local imports of one package's files may lead."""

    components: Mapping[str, Path]  # component name -> its file or folder
    components_dir: Path
    own: Path  # the module file, or its folder
    anchor: Path | None = None  # where relative imports start (None: the file's own folder)
    modules_package: str = ""  # the modules folder as a dotted name (`python_modules`), "" if none


def _exists(path: Path) -> bool:
    return path.with_suffix(".py").is_file() or path.is_dir()


def _inside(path: Path, folder: Path) -> tuple[str, ...] | None:
    try:
        return path.relative_to(folder).parts
    except ValueError:
        return None


def _classify(scope: Scope, target: Path, names: list[str], shown: str) -> tuple[list[str], str | None]:
    if not _exists(target):
        return [], f"'from {shown} import ...' does not lead to a file ({target} is no module or folder)"
    if (rest := _inside(target, scope.components_dir)) is not None:
        if rest:
            return [rest[0]], None
        missing = [n for n in names if n not in scope.components]
        if missing:
            return (
                [],
                f"'from {shown} import {missing[0]}': no component {missing[0]} in {scope.components_dir}",
            )
        return names, None
    own = scope.own if scope.own.is_dir() else scope.own.with_suffix("")
    if target == own or _inside(target, own) is not None:
        return [], None  # the module itself, or its own files
    return [], (
        f"'from {shown} import ...' leads to {target}, which is neither a component nor part of this "
        "module, so it does not ship with the package: import it absolutely"
    )


def relative(scope: Scope, path: Path, node: ast.ImportFrom) -> tuple[list[str], str | None]:
    """The components a relative `from ... import` reaches, or a problem (why it reaches nothing
    that ships with the package)."""
    base = scope.anchor or path.parent
    for _ in range(node.level - 1):
        base = base.parent
    shown = "." * node.level + (node.module or "")
    names = [a.name for a in node.names]
    if node.module:
        return _classify(scope, base.joinpath(*node.module.split(".")), names, shown)
    found: list[str] = []
    for name in names:  # `from . import x`: each name is a module of its own
        reached, problem = _classify(scope, base / name, [name], f"{shown} import {name}")
        if problem:
            return [], problem
        found += reached
    return found, None
