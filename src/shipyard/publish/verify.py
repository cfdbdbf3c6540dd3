"""After publishing: the index serves every file we built, byte for byte, and no file of the
release we did not build; the release installs from the very files it served.

The index is polled with backoff (indexes and CDNs lag) until `timeout`. Reads and downloads
together end within `timeout` (at least FLOOR seconds: `--timeout 0` is one look, not no time)
plus 1 s for every MB of the files (PER_MB: a 1 GiB wheel gets 18 minutes more). A yanked file, a
file whose served bytes differ from ours, or a file of the release we did not build fails at once:
waiting will not fix any. A download takes no more bytes than our build has (or the listing gives);
the wheels (else the sdist) are kept as downloaded, and the install check installs those very bytes
(publish.install): nothing is downloaded twice.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.dists import Dist, Release, identify, parse_filename
from shipyard.errors import IndexError_, ShipyardError, VerifyError
from shipyard.index.base import Index
from shipyard.index.listing import IndexFile, Listing
from shipyard.publish import provenance
from shipyard.publish.install import install_served
from shipyard.publish.shorter import cut_copy
from shipyard.tools import deadline
from shipyard.tools.deadline import Expired

_FIRST_DELAY, _MAX_DELAY = 0.25, 10.0
FLOOR = 10.0  # seconds verify may take at least, for one look and the downloads
DOWNLOADS = 4  # files downloaded at once by verify, each within the same deadline
PER_MB = 1.0  # seconds verify's deadline grows by for every MB (10**6 bytes) it downloads


@dataclass(frozen=True)
class Verified:
    repository: str
    files: Mapping[str, str]  # filename -> sha256 as served
    installed: bool
    provenance: provenance.Proven | None = None  # whom the served PEP 740 provenance was verified against


def wait_for_files(
    index: Index,
    project: str,
    expected: Mapping[str, str],
    *,
    timeout: float,
    emit: events.Emit = events.ignore,
    built: Sequence[Dist] = (),
) -> Listing:
    """Poll until the index lists every expected filename; fail at once on yanked or other hashes
    (said as a cut copy of ours when it is one of the `built` files)."""
    where = index.repository.name
    ours = {d.filename: d for d in built}

    def attempt() -> tuple[Listing | None, str]:
        try:
            listing = index.read(project)
        except Expired:
            raise
        except IndexError_ as exc:
            return None, f"{where} does not serve {exc.message}"
        for filename, sha256 in expected.items():
            if (served := listing.get(filename)) is not None:
                _judge(served, sha256, index, ours.get(filename))
        _refuse_strangers(listing, expected, where)
        missing = [f for f in expected if listing.get(f) is None]
        return (None if missing else listing), f"{where} does not serve {', '.join(missing)}"

    return _poll(attempt, timeout, emit)


T = TypeVar("T")


def _poll(attempt: Callable[[], tuple[T | None, str]], timeout: float, emit: events.Emit) -> T:
    """Call `attempt` with backoff until it returns a value or `timeout` passes; its second item
    says what is still missing (indexes and CDNs lag behind an upload)."""
    deadline = time.monotonic() + timeout
    delay = _FIRST_DELAY
    while True:
        found, missing = attempt()
        if found is not None:
            return found
        if time.monotonic() + delay > deadline:
            raise VerifyError(f"{missing} (waited {timeout:g} s)")
        events.info(emit, f"{missing} yet; retrying in {delay:g} s")
        time.sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)


def _refuse_yanked(served: IndexFile, where: str) -> None:
    if served.yanked:
        reason = f": {served.yanked_reason}" if served.yanked_reason else " (no reason given)"
        raise VerifyError(f"{served.filename} is yanked on {where}{reason}")


def _judge(served: IndexFile, sha256: str, index: Index, dist: Dist | None) -> None:
    where = index.repository.name
    _refuse_yanked(served, where)
    if served.sha256 is not None and served.sha256 != sha256:
        cut = cut_copy(index, dist, served) if dist is not None else None  # a cut upload, said so
        raise VerifyError(
            cut or f"{where} serves {served.filename} with sha256 {served.sha256}, but we built {sha256}"
        )


def _refuse_strangers(listing: Listing, expected: Mapping[str, str], where: str) -> None:
    """A file the index lists for our release that we did not build is not ours: an installer
    could pick it (a more specific wheel) over ours, so the release is not what we built."""
    releases = {r for r in map(_release, expected) if r is not None}
    strangers = sorted(f for f in listing.files if f not in expected and _release(f) in releases)
    if strangers:
        name, version = next(iter(releases))
        raise VerifyError(
            f"{where} lists {', '.join(strangers)} for {name} {version}, which this build did not make: "
            f"an installer may take it instead of ours; remove it from {where} (or yank the release) "
            "and find out who uploaded it"
        )


@dataclass(frozen=True)
class Verifying:
    """How a stage is verified: every read and download within `timeout` (plus a second a MB of
    files); with `install`, the files the index served installed with `python` in a fresh venv
    (`siblings`: packages of the same packaging repository, installed from the index too); the PEP
    740 provenance as `expect` says, if given."""

    timeout: float
    install: bool
    python: str
    siblings: Sequence[str] = ()
    expect: provenance.Expectation | None = None


def verify(release: Release, index: Index, how: Verifying, *, emit: events.Emit = events.ignore) -> Verified:
    """Prove that `index` serves exactly the files of `release` and no other file of it, with
    provenance and an install as `how` says."""
    name, version, dists = release.name, release.version, list(release.dists)
    timeout, install, expect = how.timeout, how.install, how.expect
    where = index.repository.name
    expected = release.hashes
    sizes = {d.filename: d.size for d in dists}
    events.step(emit, f"verifying {release} on {where}", repository=where)
    with tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        folder = Path(tmp)
        with _deadline(timeout, sum(sizes.values())):
            listing = wait_for_files(index, name, expected, timeout=timeout, emit=emit, built=dists)
            kept = _installable(expected) if install else set()
            dests = {f: folder / f if f in kept else None for f in expected}
            served = _downloaded(index, listing, expected, dests, sizes, emit)
        events.info(emit, f"{where} serves all {len(expected)} files with our sha256")
        proven = provenance.check(index, listing, expected, expect, emit) if expect is not None else None
        if install:
            _install_step(Release(name, version, tuple(served)), folder, index, how, emit)
    return Verified(where, expected, install, proven)


def _downloaded(
    index: Index,
    listing: Listing,
    expected: Mapping[str, str],
    dests: Mapping[str, Path | None],
    sizes: Mapping[str, int],
    emit: events.Emit,
) -> list[Dist]:
    """Every file of `expected` downloaded from `index` and proven ours by its sha256, a few at
    once (the index sends one while we hash another: 41 wheels in about half the time), each within
    the caller's deadline; the Dists of those kept (`dests` not None), for the install."""
    within, where = deadline.current(), index.repository.name

    def fetch(filename: str) -> str:
        with deadline.carried(within):
            return index.download(listing.files[filename], dests[filename], emit=emit, size=sizes[filename])

    served = []
    with ThreadPoolExecutor(max_workers=DOWNLOADS) as pool:
        for (filename, sha256), actual in zip(expected.items(), pool.map(fetch, expected), strict=True):
            if actual != sha256:
                raise VerifyError(f"{where} delivers {filename} with sha256 {actual}, but we built {sha256}")
            if (dest := dests[filename]) is not None:
                served.append(identify(dest, actual))
    return served


def verify_published(
    index: Index,
    project: str,
    version: str,
    how: Verifying,
    *,
    emit: events.Emit = events.ignore,
    sizes: Mapping[str, int] | None = None,
) -> Verified:
    """Verify a release with no local build: every file of `project` `version` on `index` is
    delivered with the sha256 the index advertises, none is yanked, and the files it delivered
    install. `sizes`: the sizes of files we built of that release (another build of it), which
    bound their downloads where the listing gives none."""
    timeout, install, expect = how.timeout, how.install, how.expect
    where = index.repository.name
    known = dict(sizes or {})
    events.step(emit, f"verifying {project} {version} on {where} (its files as the index lists them)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        with _deadline(timeout):
            listing = wait_for_release(index, project, version, timeout=timeout, emit=emit)
        spent, limit = time.monotonic() - started, index.network.download_limit
        total = sum(min(known.get(f) or s.size or 0, limit) for f, s in listing.files.items())
        hashes, dists, kept = {}, [], _installable(listing.files) if install else set()
        with _deadline(timeout, total, spent=spent):
            for served in listing.files.values():
                _refuse_yanked(served, where)
                dest = Path(tmp) / served.filename if served.filename in kept else None
                actual = index.download(served, dest, emit=emit, size=known.get(served.filename))
                if served.sha256 is not None and actual != served.sha256:
                    listed = served.sha256
                    raise VerifyError(
                        f"{where} delivers {served.filename} with sha256 {actual}, but lists {listed}"
                    )
                hashes[served.filename] = actual
                if dest is not None:
                    dists.append(identify(dest, actual))
        events.info(emit, f"{where} delivers all {len(hashes)} files with the sha256 it lists")
        proven = provenance.check(index, listing, hashes, expect, emit) if expect is not None else None
        if install:  # a subprocess: the deadline does not reach it
            _install_step(
                Release(canonicalize_name(project), version, tuple(dists)), Path(tmp), index, how, emit
            )
    return Verified(where, hashes, install, proven)


def _installable(filenames: Iterable[str]) -> set[str]:
    """The files the install check may use, kept as downloaded: the wheels, else the sdist (an
    installer never builds an sdist when a wheel of the release fits; none that fits means the
    release does not install here, as from the index)."""
    wheels = {f for f in filenames if f.endswith(".whl")}
    return wheels or set(filenames)


def _deadline(
    timeout: float, size: int = 0, spent: float = 0.0
) -> contextlib.AbstractContextManager[deadline.Deadline]:
    """All of verify's reads and downloads: `timeout` (FLOOR at least) and PER_MB for each MB of
    `size` (the bytes to download), less the `spent` seconds of an earlier part."""
    extra = size / 1e6 * PER_MB
    files = f" + {extra:.0f} s for {size / 1e6:,.1f} MB of files" if extra >= 1 else ""
    what = f"verify --timeout {timeout:g} s{files}, for all its reads and downloads"
    return deadline.within(max(timeout, FLOOR) + extra - spent, what)


def wait_for_release(
    index: Index, project: str, version: str, *, timeout: float, emit: events.Emit
) -> Listing:
    """Poll until `index` lists at least one file of `project` `version`; only those files are kept."""
    want = (canonicalize_name(project), Version(version))

    def attempt() -> tuple[Listing | None, str]:
        files = {}
        try:
            listed = index.read(project).files
            files = {f: entry for f, entry in listed.items() if _release(f) == want}
        except Expired:
            raise
        except IndexError_:
            pass
        return (
            Listing(files) if files else None
        ), f"{index.repository.name} has no file of {project} {version}"

    return _poll(attempt, timeout, emit)


def _release(filename: str) -> tuple[str, Version] | None:
    try:
        _, name, version = parse_filename(filename)
        return name, Version(version)
    except (ValueError, InvalidVersion):
        return None


def _install_step(served: Release, folder: Path, index: Index, how: Verifying, emit: events.Emit) -> None:
    """Install `served` (the files the index delivered, kept in `folder`) as `how` says."""
    name, version, dists = served.name, served.version, list(served.dists)
    where = index.repository.name
    events.step(emit, f"installing {name}=={version} from the files {where} served, in a fresh venv")
    try:
        install_served(index, folder, dists, how.python, how.siblings)
    except ShipyardError as exc:
        raise VerifyError(exc.message, detail=exc.detail) from None
    events.info(emit, f"{name} {version} installs from the files {where} served, and imports")
