"""A re-run of a release that is already published and verified everywhere: one listing read per
stage, nothing else (its check and test-install passed before its first upload)."""

from __future__ import annotations

from shipyard import events
from shipyard.dists import Release
from shipyard.errors import ShipyardError
from shipyard.publish.publish import Publishing, publish
from shipyard.release.ship import Bookkeeping, Request, StageResult, Stages


def already_released(
    release: Release, stages: Stages, request: Request, books: Bookkeeping, emit: events.Emit
) -> list[StageResult] | None:
    """The stages, each resumed, when every stage verified exactly these files before and still
    serves them (as read before the build: not read again); None when anything is left to do (the
    full release then decides and reports)."""
    indexes = stages.indexes
    if request.dry_run or not indexes:
        return None
    installed = request.config.verify_install  # verified as this run would verify it
    if not all(books.state.verified(i.repository.name, release.hashes, installed=installed) for i in indexes):
        return None
    done = []
    for index in indexes:
        try:  # a dry-run publish is the listing read: what is served, and never an upload
            served = stages.known.get(index.repository.name)
            outcomes = publish(release, index, Publishing(dry_run=True), served=served)
        except ShipyardError:
            return None
        if any(o.action != "skipped" for o in outcomes):
            return None
        done.append(StageResult(index.repository.name, outcomes, verified=True, resumed=True))
    for index, stage in zip(indexes, done, strict=True):
        if books.audit is not None:  # the audit log has every publish, the ones that skipped everything too
            files = [o.as_json() for o in stage.outcomes]
            books.audit.published(index.repository, release.name, release.version, files)
        events.info(emit, f"{release} was already published to {stage.repository} and verified")
    return done
