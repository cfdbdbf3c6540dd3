"""A wheel's RECORD and WHEEL files against what the wheel holds, as PyPI checks them at upload.

Since February 2026 PyPI refuses a wheel whose files do not match its RECORD (warehouse#18492) and
ZIP-confusion wheels (a name twice in the archive: installers disagree on which copy they unpack).
A WHEEL file whose `Tag:` lines do not match the file name's tags makes pip and uv disagree on where
the wheel installs (warehouse#19411). `twine check --strict` reads none of this, and the sdist goes
up first: a wheel refused at upload would leave half a release on the index. The rules are those of
the wheel specification (binary-distribution-format): every file listed once with its hash and size,
RECORD itself (and its signatures) with neither, hashes sha256 or stronger.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from collections import Counter
from email.parser import HeaderParser

from packaging.tags import Tag, parse_tag
from packaging.utils import parse_wheel_filename

from shipyard.dists import Dist

FIX = "build the wheel again with its PEP 517 backend (a wheel edited after the build is refused by PyPI)"
# the wheel specification's signature files are never listed with a hash
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_WEAK = frozenset({"md5", "sha1"})


def duplicate_names(zf: zipfile.ZipFile) -> list[str]:
    """Names the archive holds more than once (a ZIP-confusion wheel)."""
    counts = Counter(info.filename for info in zf.infolist())
    return sorted(name for name, n in counts.items() if n > 1)


def _digest(data: bytes, algorithm: str) -> str:
    return base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()


def _entry_problem(zf: zipfile.ZipFile, path: str, hashed: str, size: str) -> str | None:
    """What is wrong with one RECORD row for a file the wheel holds, or None."""
    algorithm, _, expected = hashed.partition("=")
    if not expected:
        return f"RECORD lists {path} without a hash"
    if algorithm not in hashlib.algorithms_guaranteed or algorithm in _WEAK:
        return f"RECORD hashes {path} with {algorithm}, not sha256 or stronger"
    data = zf.read(path)
    if _digest(data, algorithm) != expected:
        return f"{path} does not match the hash RECORD gives it (the file changed after RECORD was written)"
    if size and size != str(len(data)):
        return f"{path} is {len(data)} bytes, RECORD says {size}"
    return None


def _record_rows(zf: zipfile.ZipFile, record: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(zf.read(record).decode("utf-8"), newline="")))


def _record(zf: zipfile.ZipFile, record: str) -> list[str]:
    """Every mismatch between RECORD and the files of the archive."""
    info = record.rsplit("/", 1)[0]
    files = {i.filename for i in zf.infolist() if not i.is_dir()}
    unlisted = files - {record} - {f"{info}/{s}" for s in _SIGNATURES}
    problems = []
    for row in _record_rows(zf, record):
        if not row:
            continue
        path, hashed, size = [*row, "", ""][:3]
        unlisted.discard(path)
        if path == record:
            if hashed or size:
                problems.append("RECORD gives a hash or size for itself: it must list itself with neither")
        elif path not in files:
            problems.append(f"RECORD lists {path}, which is not in the wheel")
        elif problem := _entry_problem(zf, path, hashed, size):
            problems.append(problem)
    problems += [f"{path} is not listed in RECORD" for path in sorted(unlisted)]
    return problems


def _tags(dist: Dist, zf: zipfile.ZipFile, info: str) -> list[str]:
    """The WHEEL file's Tag lines against the tags of the file name. A compressed line
    (`py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64`, as maturin writes) is read expanded:
    PyPI takes it today (the check for expanded lines, warehouse#19411, is not merged)."""
    try:
        wheel = HeaderParser().parsestr(zf.read(f"{info}/WHEEL").decode("utf-8"))
    except KeyError:
        return [f"{info}/WHEEL is missing"]
    lines = wheel.get_all("Tag") or []
    written: set[Tag] = set()
    for line in lines:
        written |= parse_tag(line.strip())
    _, _, _, named = parse_wheel_filename(dist.filename)
    if written == set(named):
        return []
    shown = ", ".join(sorted(str(t) for t in written)) or "none"
    return [f"WHEEL's Tag lines ({shown}) do not match the file name's tags"]


def _dist_info(zf: zipfile.ZipFile) -> str | None:
    records = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/RECORD")]
    return records[0].rsplit("/", 1)[0] if len(records) == 1 else None


def record_problems(dist: Dist) -> list[str]:
    """One line for each way the wheel's RECORD or WHEEL file disagrees with the wheel (none for an
    sdist): each names the file and the fix."""
    if dist.kind != "wheel":
        return []
    try:
        with zipfile.ZipFile(dist.path) as zf:
            if (info := _dist_info(zf)) is None:
                problems = ["it has no single .dist-info/RECORD"]
            else:
                problems = _record(zf, f"{info}/RECORD") + _tags(dist, zf, info)
    except (zipfile.BadZipFile, UnicodeDecodeError, csv.Error, ValueError) as exc:
        problems = [f"its RECORD or WHEEL file cannot be read ({exc})"]
    return [f"{dist.filename}: {p}: {FIX}" for p in problems]
