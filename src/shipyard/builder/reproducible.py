"""Reproducible builds: the same source gives the same bytes, so a re-run recognises its own release.

Backends honour SOURCE_DATE_EPOCH for wheels, but setuptools writes sdists with the current time in
the gzip header and in generated files; `normalize_sdist` rewrites such an archive deterministically
(same members, same order, same content; every time the epoch's, owners cleared): a working tree
whose files are older than the commit and a fresh clone whose files are all new give the same bytes).
"""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

from shipyard.tools import atomic, git

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        "dist",
        "build",
        ".shipyard",
        "__pycache__",
        ".tox",
        ".nox",
        "node_modules",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


def source_date_epoch(root: Path) -> int | None:
    """SOURCE_DATE_EPOCH if set; else the last commit's time; else the newest source file's mtime."""
    if value := os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return int(value) if value.isdigit() else None
    if git.toplevel(root) is not None:
        return git.last_commit_time(root)
    return _newest_mtime(root)


def epoch_of(root: Path, rev: str) -> int | None:
    """The SOURCE_DATE_EPOCH a release made at commit `rev` was built with (a release commit is dated
    like its build), so a rebuild of that release gives its bytes again."""
    if value := os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return int(value) if value.isdigit() else None
    return git.last_commit_time(root, rev)


def _newest_mtime(root: Path) -> int | None:
    newest = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            try:
                newest = max(newest, int(os.lstat(os.path.join(dirpath, name)).st_mtime))
            except OSError:
                continue
    # zip files cannot hold times before 1980
    return max(newest, 315532800) if newest else None


def _gzip_mtime(path: Path) -> int:
    with path.open("rb") as f:
        header = f.read(8)
    return int.from_bytes(header[4:8], "little")


def normalize_sdist(path: Path, epoch: int) -> bool:
    """Rewrite `path` deterministically unless every time is `epoch` already; True if rewritten."""
    with tarfile.open(path) as src:
        members = src.getmembers()
        if _gzip_mtime(path) == epoch and all(
            m.mtime == epoch and not m.uid and not m.gid and not m.uname and not m.gname for m in members
        ):
            return False
        with (
            atomic.replacing(path) as tmp,
            tmp.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as dst,
        ):
            for member in members:
                member.mtime = epoch  # the commit's time, not the file's: a fresh clone's are all new
                member.uid = member.gid = 0
                member.uname = member.gname = ""
                member.pax_headers = {
                    k: v for k, v in member.pax_headers.items() if k not in ("mtime", "atime", "ctime")
                }
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return True
