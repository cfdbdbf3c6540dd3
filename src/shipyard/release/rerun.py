"""A re-run of a release that is already published and verified everywhere: one listing read per
stage, nothing else (its check and test-install passed before its first upload)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shipyard import events
from shipyard.dists import Release
from shipyard.errors import ShipyardError
from shipyard.publish.publish import Publishing, publish
from shipyard.release.ship import Bookkeeping, Request, StageResult

if TYPE_CHECKING:
    from shipyard.index.base import Index


def already_released(
    release: Release, indexes: Sequence[Index], request: Request, books: Bookkeeping, emit: events.Emit
) -> list[StageResult] | None:
    """The stages, each resumed, when every stage verified exactly these files before and still
    serves them; None when anything is left to do (the full release then decides and reports)."""
    if request.dry_run or not indexes:
        return None
    installed = request.config.verify_install  # verified as this run would verify it
    if not all(books.state.verified(i.repository.name, release.hashes, installed=installed) for i in indexes):
        return None
    stages = []
    for index in indexes:
        try:  # a dry-run publish is the listing read: what is served, and never an upload
            outcomes = publish(release, index, Publishing(dry_run=True))
        except ShipyardError:
            return None
        if any(o.action != "skipped" for o in outcomes):
            return None
        stages.append(StageResult(index.repository.name, outcomes, verified=True, resumed=True))
    for index, stage in zip(indexes, stages, strict=True):
        if books.audit is not None:  # the audit log has every publish, the ones that skipped everything too
            files = [o.as_json() for o in stage.outcomes]
            books.audit.published(index.repository, release.name, release.version, files)
        events.info(emit, f"{release} was already published to {stage.repository} and verified")
    return stages
