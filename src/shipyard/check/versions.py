"""Does the wheel's code say the version it is released as? A `__version__ = "..."` left behind in
the import package (whatever its name: `deezer` in `deezer-python`) is published as it is, and the
users who print it see another version than pip installed. Only literal assignments in the
top-level modules and packages' usual version files are read; a version read at run time
(importlib.metadata) is always right and has no literal to compare.
"""

from __future__ import annotations

import re
import zipfile

from packaging.version import InvalidVersion, Version

from shipyard.dists import Dist

ASSIGNED = re.compile(r"^__version__\s*(?::\s*str\s*)?=\s*(['\"])([^'\"\n]*)\1", re.MULTILINE)
# the files of a top-level package that conventionally hold its __version__
VERSION_FILES = ("__init__.py", "_version.py", "version.py", "__about__.py", "__version__.py")
MAX_SIZE = 1 << 20  # a version file is small; a larger member is not read


def _candidates(names: list[str]) -> list[str]:
    """The wheel's top-level modules and the version files of its top-level packages."""
    out = []
    for name in names:
        parts = name.split("/")
        top_module = len(parts) == 1 and name.endswith(".py")
        if top_module or (len(parts) == 2 and parts[1] in VERSION_FILES and not parts[0].endswith(".data")):
            out.append(name)
    return out


def _same(found: str, version: str) -> bool:
    try:
        return Version(found) == Version(version)
    except InvalidVersion:
        return True  # not a version ("unknown", a placeholder): nothing to compare


def problems(dist: Dist) -> list[str]:
    """One problem for each `__version__` in the wheel's import packages that differs from its version."""
    if dist.kind != "wheel":
        return []
    found = []
    with zipfile.ZipFile(dist.path) as zf:
        for name in _candidates(zf.namelist()):
            if zf.getinfo(name).file_size > MAX_SIZE:
                continue
            text = zf.read(name).decode("utf-8", errors="replace")
            if (assigned := ASSIGNED.search(text)) and not _same(assigned[2], dist.version):
                found.append(
                    f'{dist.filename}: {name} sets __version__ = "{assigned[2]}", but this release is '
                    f"{dist.version}: name its source file in version-files (PATH:__version__) so "
                    "that releases write it, or read the version with importlib.metadata"
                )
    return found
