"""Bytecode kept by what its source holds, so that a fresh test venv starts with pytest compiled.

Every test-install makes a new venv, and the test run compiled pytest, pluggy and the test
dependencies in it again: half of a small package's run (0.25 s of 0.5 s here), paid by each
package of a packaging repository. After a run, the bytecode Python wrote for the files of the
venv's other distributions (never the package under test, which changes with every release) is
kept in shipyard's cache under the sha256 of the source it was compiled from; before the next
run, each such file whose source has a kept entry gets it, the header rewritten with that file's
time and size (what Python checks). An entry is found by the bytes of the source, never by a name
or a version, so it cannot be stale; a header Python does not accept is only compiled again.
Nothing is kept where Python writes no bytecode (PYTHONDONTWRITEBYTECODE): that setting holds.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import struct
from collections.abc import Collection, Iterator
from pathlib import Path

from packaging.utils import canonicalize_name

from shipyard.errors import WriteError
from shipyard.tools import atomic

_HEADER = 16  # magic, flags, then the source's mtime and size (PEP 552, flags 0)
_TIMESTAMPED = b"\0\0\0\0"


class Kept:
    """The kept bytecode of one venv's distributions but those named in `skip`."""

    def __init__(self, store: Path, venv: Path, skip: Collection[str], prefix: str | None = None) -> None:
        """`prefix`: the run's PYTHONPYCACHEPREFIX, where Python then reads and writes bytecode
        (a relative one depends on the run's folder: nothing is kept then)."""
        self.tag = cache_tag(venv)
        self.prefix = Path(prefix) if prefix else None
        usable = self.tag is not None and (self.prefix is None or self.prefix.is_absolute())
        self.folder = store / self.tag if usable and self.tag else None
        skipped = {canonicalize_name(n) for n in skip}
        self.sources = [] if self.folder is None else list(_sources(venv, skipped))

    def place(self) -> int:
        """Give every source with a kept entry its bytecode; how many got one. Only the sources
        with an entry are read (to confirm the digest): most of a venv is never imported."""
        folder = self.folder
        try:  # one listing, not a failed open for each of the many sources never compiled
            entries = {p.name for p in folder.iterdir()} if folder is not None else set()
        except OSError:
            return 0
        placed = 0
        for source, digest in self.sources:
            if folder is None or f"{digest}.pyc" not in entries:
                continue
            with contextlib.suppress(OSError):
                body = (folder / f"{digest}.pyc").read_bytes()
                if len(body) > _HEADER and _holds(source, digest):
                    cached = self._cached(source)
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_bytes(body[:8] + _stamp(source) + body[_HEADER:])
                    placed += 1
        return placed

    def keep(self) -> int:
        """Keep the bytecode Python wrote for these sources (only where it is current); how many."""
        if self.folder is None:
            return 0
        kept = 0
        for source, digest in self.sources:
            with contextlib.suppress(OSError, WriteError):  # a read-only cache keeps nothing
                entry = self.folder / f"{digest}.pyc"
                if entry.is_file():
                    continue
                data = self._cached(source).read_bytes()
                current = data[4:8] == _TIMESTAMPED and data[8:_HEADER] == _stamp(source)
                if len(data) > _HEADER and current and _holds(source, digest):
                    _write(entry, data)
                    kept += 1
        return kept

    def _cached(self, source: Path) -> Path:
        """Where Python reads and writes the bytecode of `source` (importlib's cache_from_source)."""
        name = f"{source.stem}.{self.tag}.pyc"
        if self.prefix is None:
            return source.parent / "__pycache__" / name
        folder = source.parent.absolute()  # as Python's abspath: links are not resolved
        return self.prefix / str(folder)[len(folder.drive) :].lstrip("/\\") / name


def cache_tag(venv: Path) -> str | None:
    """`cpython-312` for a CPython venv (from its pyvenv.cfg); None for others, and then nothing is kept."""
    try:
        lines = (venv / "pyvenv.cfg").read_text().splitlines()
    except OSError:
        return None
    cfg = {k.strip().lower(): v.strip() for k, _, v in (line.partition("=") for line in lines)}
    version = cfg.get("version_info", cfg.get("version", "")).split(".")
    if cfg.get("implementation", "CPython").lower() != "cpython" or len(version) < 2:
        return None
    return f"cpython-{version[0]}{version[1]}"


def _sources(venv: Path, skip: Collection[str]) -> Iterator[tuple[Path, str]]:
    """(path, sha256 in hex) of each .py file a distribution in the venv's site-packages lists in
    its RECORD: the digest it claims, which `Kept` confirms before it uses an entry or keeps one."""
    for site in [*venv.glob("lib/python*/site-packages"), venv / "Lib" / "site-packages"]:
        for record in site.glob("*.dist-info/RECORD"):
            if canonicalize_name(record.parent.name.split("-")[0]) in skip:
                continue
            with contextlib.suppress(OSError, csv.Error, ValueError):
                for row in csv.reader(record.read_text(encoding="utf-8").splitlines()):
                    name, digest = (row[0], row[1]) if len(row) > 1 else ("", "")
                    inside = not name.startswith(("/", ".."))
                    if name.endswith(".py") and digest.startswith("sha256=") and inside:
                        raw = base64.urlsafe_b64decode(digest[7:] + "=" * (-len(digest[7:]) % 4))
                        yield site / name, raw.hex()


def _holds(source: Path, digest: str) -> bool:
    """Whether `source` holds the bytes of that sha256 (its RECORD may say otherwise)."""
    return hashlib.sha256(source.read_bytes()).hexdigest() == digest


def _stamp(source: Path) -> bytes:
    """The header's mtime and size fields for `source`, as Python writes and checks them."""
    stat = source.stat()
    return struct.pack("<II", int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF)


def _write(entry: Path, data: bytes) -> None:
    """Whole or not at all: runs at once may keep the same entry (with the same bytes)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with atomic.replacing(entry) as tmp:
        tmp.write_bytes(data)
