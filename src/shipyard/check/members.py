"""Archive members that would land outside the folder they are unpacked into.

An installer or a user's `tar xf` unpacks an sdist: a member named `../../x` or `/etc/cron.d/x`, a
link to `/etc/shadow` or out of the archive, or a device file would write (or expose) a file of the
unpacking machine; a wheel holding one name twice is a ZIP-confusion file (installers disagree on
which copy they unpack; PyPI refuses it). The index cannot tell, so `check` refuses them, for a
release's own files and for files named to `publish` alike. None is ever allowed by `allow-files`:
no project needs one.
"""

from __future__ import annotations

import posixpath
import stat
import tarfile
import zipfile

from shipyard.check.record import duplicate_names
from shipyard.dists import Dist

FIX = "an archive shipyard or a PEP 517 backend builds never holds one: build it again from the source"


def _escapes(path: str) -> bool:
    """Whether `path` (relative to the unpacking folder) is absolute or climbs out of it."""
    if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):  # "C:..." too
        return True
    normal = posixpath.normpath(path.replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def _tar_problem(entry: tarfile.TarInfo) -> str | None:
    if _escapes(entry.name):
        return f"a member outside the folder it unpacks into ({entry.name})"
    if entry.issym():
        target = posixpath.join(posixpath.dirname(entry.name), entry.linkname)
        if entry.linkname.startswith("/") or _escapes(target):
            return f"a link out of the archive ({entry.name} -> {entry.linkname})"
    elif entry.islnk() and _escapes(entry.linkname):
        return f"a hard link out of the archive ({entry.name} -> {entry.linkname})"
    elif not (entry.isfile() or entry.isdir() or entry.islnk()):
        return f"a device or FIFO ({entry.name})"
    return None


def _zip_problem(info: zipfile.ZipInfo) -> str | None:
    if _escapes(info.filename):
        return f"a member outside the folder it unpacks into ({info.filename})"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"a symbolic link ({info.filename})"
    return None


def unsafe(dist: Dist) -> list[str]:
    """One line for each member of `dist` that would land outside where it is unpacked (or one
    saying it is no archive at all)."""
    try:
        if dist.kind == "wheel":
            with zipfile.ZipFile(dist.path) as zf:
                found = [p for info in zf.infolist() if (p := _zip_problem(info))]
                twice = duplicate_names(zf)
                found += [f"the name {name} more than once (a ZIP-confusion file)" for name in twice]
        else:
            with tarfile.open(dist.path) as tf:
                found = [p for entry in tf if (p := _tar_problem(entry))]
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as exc:
        kind = "a zip archive (a wheel)" if dist.kind == "wheel" else "a gzipped tar archive (an sdist)"
        return [f"{dist.filename} is not {kind} that can be read: {exc}"]
    return [f"{dist.filename} contains {what}: {FIX}" for what in found]
