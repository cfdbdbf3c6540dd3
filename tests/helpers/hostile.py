"""Hostile dists made from a real one: the same archive with one member added (a `../` path, an
absolute path, a link to /etc/shadow, a `.pypirc`) or its core metadata replaced by junk. All else is
the real build's, so a refusal can only come from what was changed."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from pathlib import Path

JUNK_METADATA = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR junk, not core metadata\n"


def _member(name: str, kind: str) -> tuple[tarfile.TarInfo, bytes]:
    info, data = tarfile.TarInfo(name), b"written where it should not be\n"
    if kind == "link":
        info.type, info.linkname, data = tarfile.SYMTYPE, "/etc/shadow", b""
    elif kind == "pypirc":
        data = b"[pypi]\nusername = __token__\npassword = hunter2-not-a-real-token\n"
    info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
    return info, data


# how each hostile kind names its member, given the sdist's top folder
NAMES = {
    "climbs-out": "{top}/../../escaped.txt",
    "absolute": "/tmp/shipyard-escaped.txt",
    "link": "{top}/shadow",
    "pypirc": "{top}/.pypirc",
}


def sdist(real: Path, dest: Path, kind: str) -> Path:
    """A copy of the real sdist `real` at dest (same file name), made hostile by `kind`: one of
    NAMES, "junk-metadata" (PKG-INFO is junk) or "none" (repacked as it is: the control)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / real.name
    top = real.name.removesuffix(".tar.gz")
    with tarfile.open(real) as src, tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for entry in src:
            content = src.extractfile(entry) if entry.isfile() else None
            if kind == "junk-metadata" and entry.name == f"{top}/PKG-INFO":
                entry.size = len(JUNK_METADATA)
                content = io.BytesIO(JUNK_METADATA)
            tf.addfile(entry, content)
        if kind in NAMES:
            info, data = _member(NAMES[kind].format(top=top), kind)
            tf.addfile(info, io.BytesIO(data) if data else None)
    return out


def wheel(real: Path, dest: Path, member: str) -> Path:
    """A copy of the real wheel with one more member named `member` (e.g. `../../escaped.py`)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / real.name
    shutil.copyfile(real, out)
    with zipfile.ZipFile(out, "a") as zf:
        zf.writestr(member, "written where it should not be\n")
    return out
