"""Idempotent publishing of one release to one repository: never overwrite, never guess.

Before uploading, read what the index serves: an identical file is skipped, a same-named file with
another sha256 stops everything before any upload. After any upload error the index is read again
(the file may have landed) before deciding: retry (a transient fault), stop (a refusal), or count
the file as landed. Error wording is never parsed. Every publish appends a line to the audit log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from shipyard import events
from shipyard.dists import Dist, Release
from shipyard.errors import ConflictError, IndexError_, ShipyardError
from shipyard.index.base import Index, conflict_message
from shipyard.index.listing import IndexFile, Listing
from shipyard.index.refusal import Refused
from shipyard.index.transport import TlsError
from shipyard.publish.shorter import cut_copy
from shipyard.tools import network

if TYPE_CHECKING:
    from shipyard.publish.attest import Attester
    from shipyard.publish.audit import AuditLog

Action = Literal["uploaded", "skipped", "landed", "would-upload"]
_PROGRESS_MIN = 1 << 20  # files below 1 MiB upload too fast for progress to matter


@dataclass(frozen=True)
class Outcome:
    dist: Dist
    action: Action

    def as_json(self) -> dict[str, object]:
        return {"filename": self.dist.filename, "sha256": self.dist.sha256, "action": self.action}


def _plan(dists: list[Dist], listing: Listing | None, index: Index) -> list[Dist]:
    """The dists still to upload; ConflictError naming both hashes if any name is taken."""
    todo = []
    for dist in dists:
        served = listing.get(dist.filename) if listing is not None else None
        if served is None:
            todo.append(dist)
        elif served.sha256 is not None and served.sha256 != dist.sha256:
            raise _conflict(index, dist, served)
    return todo


def refuse_conflicts(release: Release, index: Index, served: Listing | IndexError_ | None) -> None:
    """ConflictError when what `index` was read to serve (`served`) holds a file of ours by name with
    other bytes: known before any test runs or any file is uploaded. An unread index says nothing."""
    if isinstance(served, Listing):
        _plan(list(release.dists), served, index)


def _conflict(index: Index, dist: Dist, served: IndexFile) -> ConflictError:
    """The index holds another file named as `dist`: a cut copy of ours (say so), or another file."""
    said = cut_copy(index, dist, served)
    where = index.repository.name
    return ConflictError(said or conflict_message(dist.filename, served.sha256, dist.sha256, where))


@dataclass(frozen=True)
class Publishing:
    """How a stage publishes: `dry_run` reads the index and uploads nothing; `allow_unverified`
    uploads to an index that cannot be read; `attester` gives the PEP 740 attestations each upload
    carries (made before the first upload; an index that refuses them gets the upload again without
    them, said as a warning, unless the attester is strict); `audit` records every publish;
    `before_upload` runs once before the first byte is sent (the release keeps its files from then on)."""

    dry_run: bool = False
    allow_unverified: bool = False
    attester: Attester | None = None
    audit: AuditLog | None = None
    before_upload: Callable[[], None] | None = None


def publish(
    release: Release,
    index: Index,
    how: Publishing = Publishing(),
    *,
    served: Listing | IndexError_ | None = None,
    emit: events.Emit = events.ignore,
) -> list[Outcome]:
    """Upload what `index` does not have yet of `release`; report what was uploaded, skipped or would
    be, and (unless a dry run) append it to the audit log, also when an upload fails half-way (not
    when it fails before any file reached the index). `served`: what the index was just read to
    serve, or why it could not be (the lower-version check's read); else it is read here."""
    name, version, dists = release.name, release.version, list(release.dists)
    dry_run, audit, attester = how.dry_run, how.audit, how.attester
    repo = index.repository
    listing = _read_first(index, name, served, how.allow_unverified, emit)
    todo = _plan(dists, listing, index)
    outcomes = [Outcome(d, "skipped") for d in dists if d not in todo]
    for outcome in outcomes:
        events.info(emit, f"{outcome.dist.filename} is already on {repo.name}, identical: skipped")
    if dry_run:
        for dist in todo:
            events.info(emit, f"would upload {dist.filename} to {repo.name}")
            outcomes.append(Outcome(dist, "would-upload"))
        return outcomes
    attestations = attester.for_index(todo, index) if attester is not None and todo else {}
    strict = attester is not None and attester.strict
    if todo and how.before_upload is not None:
        how.before_upload()
    try:
        for dist in todo if repo.is_local else _digested(todo):  # a remote's form has a blake2
            sent = attestations.get(dist.filename, ())
            outcomes.append(Outcome(dist, _upload_one(index, dist, emit, sent, strict)))
    except ShipyardError as exc:
        # a half release is recorded; a refusal before any file reached the index changes nothing
        if audit is not None and any(o.action in ("uploaded", "landed") for o in outcomes):
            audit.published(repo, name, version, [o.as_json() for o in outcomes], error=exc.message)
        raise
    if audit is not None:
        audit.published(repo, name, version, [o.as_json() for o in outcomes])
    return outcomes


def _digested(dists: list[Dist]) -> Iterator[Dist]:
    """`dists` in order, the next one's blake2 digest (the upload form's) computed while the one
    before it uploads: hashlib lets go of the GIL, and 80 MB take 0.1 s to hash."""
    ahead = ThreadPoolExecutor(max_workers=1)
    try:
        for dist, _ in zip(dists, ahead.map(lambda d: d.blake2_256, dists), strict=True):
            yield dist
    finally:  # a failed upload stops here: the files after it are not hashed for nothing
        ahead.shutdown(wait=False, cancel_futures=True)


def _served(index: Index, name: str, served: Listing | IndexError_ | None, emit: events.Emit) -> Listing:
    if isinstance(served, IndexError_):
        raise served
    if served is not None:
        return served
    where = index.repository.name
    events.step(emit, f"reading what {where} serves for {name}", repository=where)
    return index.read(name, emit)


def _read_first(
    index: Index, name: str, served: Listing | IndexError_ | None, allow_unverified: bool, emit: events.Emit
) -> Listing | None:
    """What the index serves; None if it cannot be read and `allow_unverified` lets us upload blind."""
    try:
        return _served(index, name, served, emit)
    except TlsError:
        raise  # an upload would meet the same certificate: --allow-unverified is no way round it
    except IndexError_ as exc:
        if not allow_unverified:
            raise IndexError_(
                f"{exc.message}; not uploading blind (pass --allow-unverified to upload anyway)"
            ) from None
        events.warning(emit, f"{exc.message}; uploading without knowing what is there (--allow-unverified)")
        return None


def _upload_one(
    index: Index,
    dist: Dist,
    emit: events.Emit,
    attestations: Sequence[Mapping[str, object]] = (),
    strict: bool = False,
) -> Action:
    events.step(
        emit, f"uploading {dist.filename} to {index.repository.name}", filename=dist.filename, size=dist.size
    )

    def progress(done: int, total: int) -> None:
        if total >= _PROGRESS_MIN:
            emit(events.Event("progress", dist.filename, {"done": done, "total": total}))

    attempts = network.Attempts(index.network, f"uploading {dist.filename}", emit)
    while True:
        started = time.monotonic()
        try:
            if not index.upload(dist, progress, attestations):
                return "skipped"
            seconds = time.monotonic() - started
            events.info(
                emit,
                f"uploaded {dist.filename} ({file_size(dist.size)} in {seconds:.1f} s)",
                filename=dist.filename,
                size=dist.size,
                seconds=round(seconds, 3),
            )
            return "uploaded"
        except ConflictError:
            raise  # the index itself holds another file of that name: there is nothing to decide
        except ShipyardError as failure:
            # the file may have landed (a lost reply, a concurrent run): the index decides, not the error
            if _landed(index, dist, failure, emit):
                return "landed"
            if isinstance(failure, Refused) and attestations and not strict:
                # an index that does not take attestations (or not these): the file still goes up
                events.warning(emit, f"{failure.message}; uploading it again without its attestations")
                attestations = ()
                continue
            if not isinstance(failure, network.TransientError):
                raise
            attempts.wait(failure)


def file_size(size: int) -> str:
    """Bytes as twine and pip say them: decimal units, one decimal (50.0 MB)."""
    if size < 1000:
        return f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} GB"


def _landed(index: Index, dist: Dist, failure: ShipyardError, emit: events.Emit) -> bool:
    """After a failed upload: is `dist` on the index now? ConflictError if another file took its name;
    the upload's own error if the index cannot be read (deciding blind could upload twice)."""
    where = index.repository.name
    try:
        served = index.read(dist.name, emit).get(dist.filename)
    except ShipyardError:
        raise failure from None
    if served is None:
        return False
    if served.sha256 not in (None, dist.sha256):
        raise _conflict(index, dist, served) from None
    if isinstance(failure, network.TransientError):
        events.info(emit, f"{dist.filename} is on {where} despite the error ({failure.message}): landed")
    else:  # refused, yet there with our bytes: another upload (a concurrent release) was first
        events.warning(
            emit,
            f"{dist.filename} is on {where}, identical: another upload published it first "
            f"({where} refused ours: {failure.message})",
        )
    return True
