"""A name conflict that is a cut upload: the index keeps the first bytes of our own file.

An upload cut off half-way can leave a truncated file on an index that stores what it received
(pypiserver kept 161 MB of 200). Every re-run then meets the same name with another sha256; the
plain conflict message ("bump the version") hides that the index holds the start of our file, and
that on an index where files can be deleted, deleting it is the fix.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from shipyard.dists import Dist
from shipyard.errors import ShipyardError
from shipyard.index.base import Index
from shipyard.index.listing import IndexFile
from shipyard.tools import deadline

_CHUNK = 1 << 20
_SECONDS = 60.0  # the download of a copy shorter than ours, to measure it


def cut_copy(index: Index, dist: Dist, served: IndexFile) -> str | None:
    """The conflict said as a cut upload, when the index's file is shorter than `dist` and is its
    start (the listing's size, or the file downloaded, at most our size); None otherwise."""
    size, sha256 = _measured(index, dist, served)
    if size is None or size >= dist.size or sha256 != _prefix_sha256(dist.path, size):
        return None
    where = index.repository.name
    return (
        f"{where} holds a shorter copy of {dist.filename}: {size:,} bytes of our {dist.size:,}, "
        "the start of ours (an upload that was cut off); an index never takes a file name twice: "
        f"delete that file on {where} and re-run (where files cannot be deleted, as on PyPI, "
        "bump the version)"
    )


def _measured(index: Index, dist: Dist, served: IndexFile) -> tuple[int | None, str | None]:
    """(size, sha256) of the index's file: from the listing if it gives the size, else downloaded
    (no more bytes than ours); (None, None) when it cannot be had."""
    if served.size is not None:
        return served.size, served.sha256
    with tempfile.TemporaryDirectory(prefix="shipyard-conflict-") as tmp:
        dest = Path(tmp) / dist.filename
        try:
            with deadline.within(_SECONDS, f"measuring {dist.filename} on {index.repository.name}"):
                sha256 = index.download(served, dest, size=dist.size)
        except ShipyardError:
            return None, None  # larger than ours, or unreadable: not a cut copy of ours
        return dest.stat().st_size, sha256


def _prefix_sha256(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    left = size
    with path.open("rb") as handle:
        while left > 0 and (chunk := handle.read(min(_CHUNK, left))):
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()
