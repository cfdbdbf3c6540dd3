"""The versions a project's lock file pins, for its test requirements: the tests run with the pytest
(and plugins) their developers locked, not the newest one (a suite written for pytest 8 may break
under pytest 9).

The first lock at the project root wins: pylock.toml (PEP 751, `[[packages]]`), uv.lock, poetry.lock,
pdm.lock (each `[[package]]`). Only packages that come from an index are pinned (a git, path or
editable source is no version an index serves); a name locked at several versions (a fork by
environment markers) is pinned to the one whose markers fit the test venv, else left free.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from shipyard.errors import ConfigError
from shipyard.tools.tomlread import tomllib

LOCK_FILES = (
    ("pylock.toml", "packages"),
    ("uv.lock", "package"),
    ("poetry.lock", "package"),
    ("pdm.lock", "package"),
)
# keys that mark a locked package as not from an index, by lock format
_NOT_FROM_INDEX = ("vcs", "directory", "archive", "git", "path", "url", "editable")
_UV_LOCAL = ("editable", "directory", "path", "virtual", "git", "url")


@dataclass(frozen=True)
class Locked:
    version: str
    markers: tuple[str, ...] = ()  # any of them true (none: everywhere)


@dataclass(frozen=True)
class Lock:
    file: str = ""  # the lock file, relative to the project ("" for none)
    packages: Mapping[str, tuple[Locked, ...]] = field(default_factory=dict)  # by canonical name

    def pins(self, names: Iterable[str], environment: Mapping[str, str]) -> tuple[str, ...]:
        """`name==version` for each of `names` the lock pins for a venv with these marker values."""
        out: list[str] = []
        for name in dict.fromkeys(canonicalize_name(n) for n in names):
            versions = {e.version for e in self.packages.get(name, ()) if _fits(e, environment)}
            if len(versions) == 1:
                out.append(f"{name}=={versions.pop()}")
        return tuple(out)


def find(root: Path, skip: Collection[str] = ()) -> Lock:
    """The project's lock, without the packages named in `skip` (the project itself)."""
    skipped = {canonicalize_name(s) for s in skip}
    for name, key in LOCK_FILES:
        path = root / name
        if path.is_file():
            packages: dict[str, list[Locked]] = {}
            for entry in _entries(path, key):
                locked = _locked(entry, name)
                if locked is not None and canonicalize_name(str(entry["name"])) not in skipped:
                    packages.setdefault(canonicalize_name(str(entry["name"])), []).append(locked)
            return Lock(name, {k: tuple(v) for k, v in packages.items()})
    return Lock()


def _entries(path: Path, key: str) -> list[Mapping[str, object]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}: fix it (or lock again)") from None
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "name" in e for e in entries):
        raise ConfigError(f"{path.name}: [[{key}]] must be tables with a name: fix it (or lock again)")
    return entries


def _locked(entry: Mapping[str, object], file: str) -> Locked | None:
    version = entry.get("version")
    if not isinstance(version, str) or any(k in entry for k in _NOT_FROM_INDEX):
        return None
    source = entry.get("source")
    if isinstance(source, Mapping) and (
        any(k in source for k in _UV_LOCAL) or source.get("type") in ("git", "directory", "file", "url")
    ):
        return None  # uv.lock's {editable = "."}, poetry.lock's [package.source] type = "git"
    if file == "uv.lock":
        markers = entry.get("resolution-markers", [])
    else:
        marker = entry.get("marker")
        markers = [marker] if marker else []
    return Locked(version, tuple(str(m) for m in markers) if isinstance(markers, list) else ())


def _fits(entry: Locked, environment: Mapping[str, str]) -> bool:
    if not entry.markers:
        return True
    try:
        return any(Marker(m).evaluate(dict(environment)) for m in entry.markers)
    except (InvalidMarker, ValueError):
        return False
