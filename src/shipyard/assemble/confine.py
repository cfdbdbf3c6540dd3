"""Nothing outside the repository enters a package: every file assemble reads is resolved first.

A link `data/NAME/env -> /proc/self/environ` (the release machine's environment, upload credential
included), a `data/NAME` linked to a folder elsewhere, or a layout folder such as `.paa.config`'s
`artifacts_dir: ..` would copy files of the machine into the wheel and the sdist. Links that stay
inside the repository are followed; one that leaves it, a device, a FIFO or a socket is refused,
for every package to release before anything is built.
"""

from __future__ import annotations

import posixpath
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from shipyard.errors import ConfigError

_SYSTEM = ("/proc", "/sys", "/dev")  # never a project's file, wherever the repository is
FIX = "copy what the package needs into the repository, or remove the link"


def _shown(root: Path, path: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def inside(root: Path, path: Path) -> Path:
    """`path` with every link resolved, if that is a regular file or folder inside `root` (itself
    resolved); else a ConfigError that names it."""
    shown = _shown(root, path)
    try:
        real = path.resolve(strict=True)
        mode = real.stat().st_mode
    except (OSError, RuntimeError) as exc:  # a dangling link, a loop of links
        raise ConfigError(f"{shown} cannot be read ({exc}): {FIX}") from None
    if not real.is_relative_to(root) or str(real).startswith(_SYSTEM):
        raise ConfigError(
            f"{shown} leads outside the repository (to {real}): nothing outside it goes into a package: {FIX}"
        )
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ConfigError(f"{shown} is a device, FIFO or socket, which no package holds: remove it")
    return real


def source(root: Path, path: Path) -> Path:
    """The regular file `path` resolved, if it is inside `root`."""
    real = inside(root, path)
    if not real.is_file():
        raise ConfigError(f"{_shown(root, path)} is a folder where a file was expected")
    return real


def tree(root: Path, folder: Path) -> list[tuple[PurePosixPath, Path]]:
    """(path relative to `folder`, the file resolved) for every file under `folder`, links inside
    `root` followed, `__pycache__` skipped, sorted."""
    found: list[tuple[PurePosixPath, Path]] = []
    _walk(root, folder, PurePosixPath(), found, frozenset())
    return found


def _walk(
    root: Path,
    folder: Path,
    rel: PurePosixPath,
    found: list[tuple[PurePosixPath, Path]],
    above: frozenset[Path],
) -> None:
    real = inside(root, folder)
    if real in above:
        raise ConfigError(f"{_shown(root, folder)} links back to a folder that holds it: remove the link")
    for entry in sorted(folder.iterdir()):
        if entry.name == "__pycache__":
            continue
        target = inside(root, entry)
        if target.is_dir():
            _walk(root, entry, rel / entry.name, found, above | {real})
        else:
            found.append((rel / entry.name, target))


def check(root: Path, paths: Iterable[Path]) -> None:
    """Every file and folder in `paths` (and under them) is inside `root`: a ConfigError otherwise."""
    for path in paths:
        if inside(root, path).is_dir():
            tree(root, path)


def relative(value: str, what: str) -> str:
    """`value` (a folder or file a configuration names) if it stays inside the repository."""
    normal = posixpath.normpath(value.replace("\\", "/"))
    if normal.startswith("/") or normal == ".." or normal.startswith("../") or value[1:2] == ":":
        raise ConfigError(
            f"{what} '{value}' is outside the repository: nothing outside it goes into a package; "
            "name a folder inside the repository"
        )
    return value
