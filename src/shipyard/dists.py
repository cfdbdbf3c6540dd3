"""Built distributions: the files, their hashes, their core metadata, and the manifest that says
which files one build made.

The manifest (`.shipyard-build.json` in the dist folder) is what check, publish and verify read:
they never glob `dist/`, so a stale wheel from an old build is never uploaded. A Dist reads its
core metadata from the archive once, when first asked, and keeps it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.metadata import ExceptionGroup, Metadata, RawMetadata, parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from shipyard.errors import UsageError
from shipyard.tools import atomic

__all__ = [
    "MANIFEST",
    "Dist",
    "DistKind",
    "NotADist",
    "Release",
    "built_sizes",
    "hash_stream",
    "identify",
    "identify_each",
    "in_folder",
    "member_names",
    "metadata_findings",
    "metadata_problems",
    "parse_filename",
    "read_manifest",
    "sha256_of",
    "wheel_top_level",
    "write_manifest",
]

MANIFEST = ".shipyard-build.json"
_CHUNK = 1 << 20

DistKind = Literal["sdist", "wheel"]


@dataclass(frozen=True)
class Dist:
    """One file; equal to another Dist when path, hash, kind, name and version are (the cached
    metadata below is not a field)."""

    path: Path
    sha256: str
    kind: DistKind
    name: str  # canonical project name
    version: str

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @functools.cached_property
    def blake2_256(self) -> str:
        """The upload form's second digest (twine sends it; warehouse checks every digest sent)."""
        digest = hashlib.blake2b(digest_size=32)
        with self.path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    @functools.cached_property
    def metadata_text(self) -> str:
        """The core metadata file inside (METADATA of a wheel, PKG-INFO of an sdist)."""
        return _read_metadata_text(self)

    @functools.cached_property
    def raw_metadata(self) -> RawMetadata:
        """The core metadata fields as written, for what is handed on as is (upload, index pages)."""
        raw, _ = parse_email(self.metadata_text)
        return raw

    @functools.cached_property
    def metadata(self) -> Metadata:
        """The parsed core metadata. A field is validated when read (InvalidMetadata if it is not
        valid), so a dist with one odd field still installs; `metadata_problems` checks them all."""
        return Metadata.from_raw(self.raw_metadata, validate=False)

    def as_json(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "path": str(self.path),
            "sha256": self.sha256,
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Dist:
        """As `as_json` wrote it (a journal's files): the kind from the file name, never from the text."""
        path = Path(str(raw.get("path")))
        kind, _, _ = parse_filename(path.name)
        return cls(path, str(raw.get("sha256")), kind, str(raw.get("name")), str(raw.get("version")))


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hash_stream(iter(lambda: f.read(_CHUNK), b""))


def hash_stream(chunks: Iterable[bytes], dest: Path | None = None) -> str:
    """The sha256 of the bytes in `chunks`, written to `dest` on the way if given."""
    digest = hashlib.sha256()
    with dest.open("wb") if dest is not None else contextlib.nullcontext() as sink:
        for chunk in chunks:
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
    return digest.hexdigest()


class NotADist(ValueError):
    """The file name is neither a wheel's nor an sdist's."""


def parse_filename(filename: str) -> tuple[DistKind, str, str]:
    """(kind, canonical project name, version) of a wheel or sdist file name; ValueError otherwise."""
    try:
        if filename.endswith(".whl"):
            project, version, _, _ = parse_wheel_filename(filename)
            return "wheel", canonicalize_name(project), str(version)
        if filename.endswith(".tar.gz"):
            project, version = parse_sdist_filename(filename)
            return "sdist", canonicalize_name(project), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ValueError(str(exc)) from None
    raise NotADist("not a wheel (.whl) or an sdist (.tar.gz)")


def identify(path: Path, sha256: str | None = None) -> Dist:
    """A Dist for a file, from its name (wheel or sdist); UsageError for anything else."""
    try:
        kind, project, version = parse_filename(path.name)
    except NotADist as exc:
        raise UsageError(f"{path} is {exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if not path.is_file():
        raise UsageError(f"{path} does not exist")
    return Dist(path, sha256 or sha256_of(path), kind, project, version)


def identify_each(paths: Sequence[Path]) -> list[Dist]:
    """`identify` of each path, in order, two hashed at a time (hashlib lets go of the GIL: a
    cibuildwheel-sized release of 80 MB is hashed in half the time); the first error raised."""
    if len(paths) < 2:
        return [identify(p) for p in paths]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(identify, paths))


# a field older than its declared Metadata-Version (setuptools before 74 wrote License-File under
# Metadata-Version 2.1): PyPI takes such files and twine check passes them, so it is said, not refused
_NEWER_FIELD = "introduced in metadata version"


def metadata_findings(dist: Dist) -> tuple[list[str], list[str]]:
    """(what makes the dist's core metadata invalid for an index, what is only odd about it)."""
    try:
        Metadata.from_email(dist.metadata_text, validate=True)
    except UsageError as exc:  # no metadata file at all: a problem of the dist, as junk in one is
        return [f"unreadable metadata ({exc.message}): build it again with its PEP 517 backend"], []
    except ExceptionGroup as group:
        found = [str(exc) for exc in group.exceptions]
        odd = [f for f in found if _NEWER_FIELD in f]
        return [f"invalid metadata: {f}" for f in found if f not in odd], [
            f"metadata: {f} (core metadata 2.4 names it; PyPI accepts it under the older version, as it "
            "was written before 2.4)"
            for f in odd
        ]
    except ValueError as exc:
        return [f"unreadable metadata ({exc}): build it again with its PEP 517 backend"], []
    return [], []


def metadata_problems(dist: Dist) -> list[str]:
    """Every reason the dist's core metadata is invalid for an index (`check` refuses such a dist,
    and it is never uploaded); empty when it is valid."""
    return metadata_findings(dist)[0]


def _read_metadata_text(dist: Dist) -> str:
    if dist.kind == "wheel":
        with zipfile.ZipFile(dist.path) as zf:
            names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise UsageError(f"{dist.filename} has no single .dist-info/METADATA")
            return zf.read(names[0]).decode("utf-8")
    with tarfile.open(dist.path) as tf:
        members = [m for m in tf.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")]
        handle = tf.extractfile(members[0]) if members else None
        if handle is None:
            raise UsageError(f"{dist.filename} has no top-level PKG-INFO")
        return handle.read().decode("utf-8")


def member_names(dist: Dist) -> list[str]:
    """Paths inside the archive, without the sdist's top-level folder."""
    if dist.kind == "wheel":
        with zipfile.ZipFile(dist.path) as zf:
            return zf.namelist()
    with tarfile.open(dist.path) as tf:
        return [m.name.partition("/")[2] for m in tf.getmembers()]


def wheel_top_level(dist: Dist) -> list[str]:
    """Importable names in a wheel for the import check: its top-level packages and modules, and
    inside a namespace package (a folder with no __init__.py, such as jaraco/) the packages and
    modules it holds (jaraco.functools): a namespace imports even when nothing is in it."""
    with zipfile.ZipFile(dist.path) as zf:
        entries = [e for e in zf.namelist() if not e.endswith("/")]
    return sorted(
        _importable([e for e in entries if not e.split("/", 1)[0].endswith((".dist-info", ".data"))])
    )


_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")


def _importable(entries: list[str], prefix: str = "") -> set[str]:
    names: set[str] = set()
    folders: dict[str, list[str]] = {}
    for entry in entries:
        first, _, rest = entry.partition("/")
        if rest:
            if first.isidentifier():
                folders.setdefault(first, []).append(rest)
        elif first.endswith(".py") and first[:-3].isidentifier():
            names.add(prefix + first[:-3])
        elif first.endswith((".so", ".pyd")) and first.split(".", 1)[0].isidentifier():
            names.add(prefix + first.split(".", 1)[0])
    for folder, inner in folders.items():
        # an __init__ module (source, compiled or an extension) makes it a regular package
        if any(i.startswith("__init__.") and i.endswith(_MODULE_SUFFIXES) for i in inner):
            names.add(prefix + folder)
        else:
            names |= _importable(inner, f"{prefix}{folder}.")
    return names


def write_manifest(dist_dir: Path, dists: Iterable[Dist]) -> Path:
    """Record which files the last build made (atomically: a crash leaves the old manifest)."""
    path = dist_dir / MANIFEST
    entries = [{"filename": d.filename, "sha256": d.sha256} for d in dists]
    atomic.write_text(path, json.dumps({"files": entries}, indent=2) + "\n")
    return path


def read_manifest(dist_dir: Path) -> list[Dist]:
    """The dists of the last build in `dist_dir`, each checked against its recorded sha256."""
    path = dist_dir / MANIFEST
    try:
        data = json.loads(path.read_text())
        entries = [(str(e["filename"]), str(e["sha256"])) for e in data["files"]]
    except FileNotFoundError:
        raise UsageError(f"no build found in {dist_dir}: run `shipyard build` first") from None
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{path} is damaged: run `shipyard build` again") from None
    dists = identify_each([dist_dir / filename for filename, _ in entries])
    for dist, (_, sha256) in zip(dists, entries, strict=True):
        if dist.sha256 != sha256:
            raise UsageError(f"{dist.path} changed since it was built: run `shipyard build` again")
    return dists


def built_sizes(folders: Iterable[Path]) -> dict[str, int]:
    """filename -> size of every file the manifests in `folders` list and that is still there: what
    we built, as a bound on what an index may send for that name (unhashed: a bound, not a proof)."""
    sizes = {}
    for folder in folders:
        try:
            entries = json.loads((folder / MANIFEST).read_text())["files"]
            names = [str(e["filename"]) for e in entries]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for name in names:
            with contextlib.suppress(OSError):
                sizes[name] = (folder / name).stat().st_size
    return sizes


@dataclass(frozen=True)
class Release:
    """One release of one project: its files, and the name and version they all carry. Made once
    (from a build, from `--dists`, or from the files named to publish and verify) and handed down:
    no later stage works out (name, version) or the sha256 of each file again."""

    name: str  # canonical project name
    version: str
    dists: tuple[Dist, ...]

    @classmethod
    def of(cls, dists: Iterable[Dist]) -> Release:
        """The release `dists` make; UsageError unless they are one release of one project."""
        files = tuple(dists)
        pairs = {(d.name, d.version) for d in files}
        if len(pairs) != 1:
            listed = ", ".join(f"{n} {v}" for n, v in sorted(pairs)) or "none"
            raise UsageError(f"the files must be one release of one project, found: {listed}")
        name, version = pairs.pop()
        return cls(name, version, files)

    @functools.cached_property
    def hashes(self) -> dict[str, str]:
        """filename -> sha256, as built."""
        return {d.filename: d.sha256 for d in self.dists}

    @property
    def wheels(self) -> list[Dist]:
        return [d for d in self.dists if d.kind == "wheel"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def in_folder(folder: Path) -> list[Dist]:
    """The dists a folder of pre-built files holds (`release --dists`, a CI matrix's wheelhouse):
    those its manifest lists when it has one, else every wheel and sdist in it."""
    if not folder.is_dir():
        raise UsageError(f"--dists {folder}: no such folder")
    if (folder / MANIFEST).is_file():
        return read_manifest(folder)
    found = sorted(p for p in folder.iterdir() if p.name.endswith((".whl", ".tar.gz")) and p.is_file())
    if not found:
        raise UsageError(f"--dists {folder} holds no wheel (.whl) or sdist (.tar.gz)")
    return identify_each(found)
