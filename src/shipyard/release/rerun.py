"""A re-run of a release that is already published and verified everywhere: one listing read per
stage, nothing else (its check and test-install passed before its first upload)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from shipyard import events
from shipyard.config import Config
from shipyard.dists import Dist, release_of
from shipyard.errors import IndexError_, ShipyardError
from shipyard.publish.publish import publish
from shipyard.publish.state import ReleaseState
from shipyard.release.ship import Options, StageResult

if TYPE_CHECKING:
    from shipyard.index.base import Index
    from shipyard.index.listing import Listing
    from shipyard.publish.audit import AuditLog


def already_released(
    config: Config,
    dists: list[Dist],
    indexes: Sequence[Index],
    options: Options,
    emit: events.Emit,
    audit: AuditLog | None = None,
    known: Mapping[str, Listing | IndexError_] | None = None,
) -> list[StageResult] | None:
    """The stages, each resumed, when every stage verified exactly these files before and still
    serves them; None when anything is left to do (the full release then decides and reports).
    `known`: what the stages served before the build (not read again)."""
    if options.dry_run or not indexes:
        return None
    name, version = release_of(dists)
    state = ReleaseState.load(config.root, name, version)
    hashes = {d.filename: d.sha256 for d in dists}
    installed = config.verify_install  # verified as this run would verify it
    if not all(state.verified(i.repository.name, hashes, installed=installed) for i in indexes):
        return None
    stages = []
    for index in indexes:
        try:  # a dry-run publish is the listing read: what is served, and never an upload
            served = (known or {}).get(index.repository.name)
            outcomes = publish(dists, index, dry_run=True, emit=events.ignore, served=served)
        except ShipyardError:
            return None
        if any(o.action != "skipped" for o in outcomes):
            return None
        stages.append(StageResult(index.repository.name, outcomes, verified=True, resumed=True))
    for index, stage in zip(indexes, stages, strict=True):
        if audit is not None:  # the audit log has every publish, the ones that skipped everything too
            audit.published(index.repository, name, version, [o.as_json() for o in stage.outcomes])
        events.info(emit, f"{name} {version} was already published to {stage.repository} and verified")
    return stages
