"""A release is built once: its artifacts are kept, with their manifest, keyed by the source they
came from, and a re-run or a resume on the same source publishes those same files.

Compiled wheels are not byte-reproducible (the `.so` embeds the build folder and a fresh build-id),
so a rebuild of an already published release would conflict with the index. The key is a hash of
what the build sees: the content of every file git tracks or would track, with the release's edits
applied, the environment handed to the backend, the file times and the isolation; for a version
taken from git (setuptools-scm, hatch-vcs) also HEAD, and the tags unless shipyard pins the version
(`--tag`, `--bump`: a re-run after the release made its tag is the same source). A changed source
gives a new key, a new build, and (for the same version) the index's conflict, which is then the
right answer.

`.shipyard/artifacts/<key>/` holds the files, `.shipyard-build.json` (the manifest) and
`edits.json` (the files the build saw updated, uv.lock included, for the release commit).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.builder.stamp import sources
from shipyard.dists import MANIFEST, Dist, identify, read_manifest, write_manifest
from shipyard.errors import UsageError
from shipyard.tools import atomic, git, workdirs

ARTIFACTS = "artifacts"
EDITS = "edits.json"
KEEP = 8  # the newest entries stay; older ones (superseded sources) are removed


@dataclass(frozen=True)
class Source:
    """What a build's output depends on, as far as shipyard decides it."""

    root: Path
    edits: Mapping[str, bytes]
    env: Mapping[str, str]
    epoch: int | None
    isolated: bool
    from_vcs: bool
    pinned: bool = False  # a version from git that shipyard hands the backend (a tag's, a bump's)

    def key(self) -> str:
        digest = hashlib.sha256()

        def add(*parts: str | bytes) -> None:
            for part in parts:
                data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
                digest.update(len(data).to_bytes(8, "big") + data)

        add("shipyard-source-1", str(self.epoch), str(self.isolated))
        for rel in sorted({*sources(self.root), *self.edits}):
            add(rel, self.edits[rel] if rel in self.edits else _content(self.root / rel))
        for name, value in sorted(self.env.items()):
            add("env", name, value)
        if self.from_vcs:  # the version is read from git: its state is part of the source
            add("head", git.head(self.root) or "")
            # unless the version is pinned: then the tag the release itself makes (or any other)
            # changes nothing the backend builds, and a re-run after it reuses the files
            for tag, commit in [] if self.pinned else sorted(git.tags(self.root)):
                add("tag", tag, commit)
        return digest.hexdigest()[:32]


def _content(path: Path) -> bytes:
    if path.is_symlink():
        return b"symlink:" + os.fsencode(path.readlink())
    return hashlib.sha256(path.read_bytes()).digest()


def _store(root: Path) -> Path:
    return root / workdirs.STATE / ARTIFACTS


def folders(root: Path) -> list[Path]:
    """Every kept build's folder (each holds its files and their manifest)."""
    store = _store(root)
    return sorted(p for p in store.iterdir() if p.is_dir()) if store.is_dir() else []


def recorded(root: Path) -> dict[str, dict[str, str]]:
    """key -> {filename: sha256} of every kept build, as its manifest says (nothing hashed here:
    `load` checks the files)."""
    found = {}
    for folder in folders(root):
        try:
            entries = json.loads((folder / MANIFEST).read_text())["files"]
            found[folder.name] = {str(e["filename"]): str(e["sha256"]) for e in entries}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def load(root: Path, key: str, dist_dir: Path) -> tuple[list[Dist], dict[str, bytes]] | None:
    """The kept artifacts of `key`, placed in `dist_dir` (with its manifest), and their edits; None
    when nothing is kept for that source. Files changed since they were kept are refused."""
    entry = _store(root) / key
    if not (entry / EDITS).is_file():
        return None
    try:
        kept = read_manifest(entry)
        raw = json.loads((entry / EDITS).read_text())
        edits = {str(k): base64.b64decode(str(v)) for k, v in raw.items()}
    except UsageError:
        raise UsageError(
            f"the kept artifacts in {entry} were changed: remove that folder to build again"
        ) from None
    except (ValueError, AttributeError):
        raise UsageError(f"{entry / EDITS} is damaged: remove {entry} to build again") from None
    workdirs.ensure(dist_dir)
    placed = []
    for dist in kept:
        target = dist_dir / dist.filename
        if not (target.is_file() and target.stat().st_size == dist.size and _same(target, dist)):
            # a copy, not a link: dist/ is the user's, the kept file must stay as it was
            atomic.copy(dist.path, target)
        placed.append(identify(target, dist.sha256))
    write_manifest(dist_dir, placed)
    os.utime(entry)  # the newest used entry is the last one pruned
    return placed, edits


def _same(path: Path, dist: Dist) -> bool:
    return identify(path).sha256 == dist.sha256


def keep(root: Path, key: str, dists: list[Dist], edits: Mapping[str, bytes]) -> None:
    """Keep a copy of `dists` and `edits` for `key`, whole or not at all (made aside, then renamed)."""
    store = _store(root)
    workdirs.ensure(store.parent)
    store.mkdir(exist_ok=True)
    entry = store / key
    if entry.exists():
        return
    work = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=store))
    try:
        copies = []
        for dist in dists:
            shutil.copyfile(dist.path, work / dist.filename)
            copies.append(identify(work / dist.filename, dist.sha256))
        write_manifest(work, copies)
        encoded = {k: base64.b64encode(v).decode("ascii") for k, v in edits.items()}
        (work / EDITS).write_text(json.dumps(encoded, indent=2, sort_keys=True) + "\n")
        os.replace(work, entry)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not entry.exists():
            raise
    _prune(store)


def _prune(store: Path) -> None:
    entries = sorted(
        (p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
