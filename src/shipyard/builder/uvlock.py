"""`uv.lock` after a version edit: the project's own entry records the new version.

A version bump changes one thing uv records: the `version` of the project's own `[[package]]`
entry (uv omits it for a dynamic version, and then the lock does not change). That entry is edited
in place (tomlkit: every other byte kept), and `uv lock --locked --offline` confirms the lock is
then up to date, which needs neither the network nor uv's cache (a fresh CI runner has neither
warm). Only a lock that is out of date beyond the version is resolved again, by `uv lock` with the
user's own index configuration (network allowed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.errors import UsageError
from shipyard.tools import venvs

LOCK = "uv.lock"
_LOCAL = ("editable", "virtual", "directory")  # how uv records the project itself: { editable = "." }


def _own(entry: object, name: str) -> bool:
    """The lock's entry for the project at the lock's folder (not a dependency of the same name)."""
    if not isinstance(entry, Mapping):
        return False
    source = entry.get("source")
    local = isinstance(source, Mapping) and any(source.get(k) == "." for k in _LOCAL)
    return local and canonicalize_name(str(entry.get("name", ""))) == canonicalize_name(name)


def with_version(text: str, name: str, version: str) -> tuple[str, bool]:
    """The lock's text with the project's own entry at `version` (as uv writes it, normalized), and
    whether the lock has that entry at all. An entry without `version` (dynamic) is left alone."""
    import tomlkit  # only a project with a uv.lock: the other releases skip its import
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(text)
        written = str(Version(version))
    except (TOMLKitError, InvalidVersion):
        return text, False
    packages = doc.get("package")
    found = False
    for entry in packages if isinstance(packages, list) else []:
        if _own(entry, name):
            found = True
            if "version" in entry and entry["version"] != written:
                entry["version"] = written
    return (tomlkit.dumps(doc) if found else text), found


def _uv_lock(folder: Path, *flags: str) -> tuple[bool, str]:
    result = venvs.run([venvs.uv(), "lock", "--quiet", *flags], cwd=folder)
    return result.returncode == 0, result.stderr


def refresh(
    folder: Path, name: str | None, version: str | None, emit: events.Emit = events.ignore
) -> bytes | None:
    """The new `uv.lock` of the project in `folder` (written there) for `version`; None when there
    is no lock or it does not change."""
    lock = folder / LOCK
    if not lock.is_file():
        return None
    if name is None or version is None:
        return None  # a version only the backend knows: uv records none
    before = lock.read_bytes()
    text, found = with_version(before.decode("utf-8"), name, version)
    if found:
        if text.encode("utf-8") == before:
            return None  # a dynamic version, or the lock says this version already
        lock.write_bytes(text.encode("utf-8"))
        if _uv_lock(folder, "--locked", "--offline")[0]:
            return lock.read_bytes()
    ok, stderr = _uv_lock(folder)
    if not ok:
        raise UsageError(
            f"uv.lock is out of date beyond the version and `uv lock` failed ({venvs.last_line(stderr)}): "
            "run `uv lock`, commit the lock, and release again",
            detail=stderr,
        )
    after = lock.read_bytes()
    if after != before:
        events.info(emit, "uv.lock was out of date beyond the version: resolved again with `uv lock`")
    return after if after != before else None
