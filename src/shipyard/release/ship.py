"""check -> test-install -> for each stage: publish -> verify, for one built release.

Shared by the single-project release and the packaging repository's changed packages. Nothing
reaches a stage unless the stage before it verified; a failed stage says where a re-run resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard import events
from shipyard.check.check import check
from shipyard.check.testinstall import TestInstall, test_install
from shipyard.config import Config
from shipyard.dists import Dist, release_of
from shipyard.errors import IndexError_, ShipyardError, StepFailed
from shipyard.plan.target import Trigger
from shipyard.publish.attest import Attester
from shipyard.publish.lower import refuse_lower
from shipyard.publish.provenance import Expectation, Proven
from shipyard.publish.publish import Outcome, publish
from shipyard.publish.state import ReleaseState
from shipyard.publish.verify import verify, wait_for_files

if TYPE_CHECKING:
    from shipyard.config import Repository
    from shipyard.index.base import Index
    from shipyard.index.listing import Listing
    from shipyard.publish.audit import AuditLog


@dataclass(frozen=True)
class Options:
    python: str
    dry_run: bool = False
    isolated: bool = True
    trigger: Trigger = field(default_factory=Trigger)
    dists: Path | None = None  # release --dists: these pre-built files, no build


@dataclass
class StageResult:
    repository: str
    outcomes: list[Outcome]
    verified: bool = False
    resumed: bool = False  # already published and verified by an earlier run
    provenance: Proven | None = None  # whom the stage's PEP 740 provenance was verified against

    def as_json(self) -> dict[str, object]:
        return {
            "repository": self.repository,
            "files": [o.as_json() for o in self.outcomes],
            "verified": self.verified,
            "resumed": self.resumed,
            "provenance": self.provenance.as_json() if self.provenance else None,
        }


def ship(
    config: Config,
    dists: list[Dist],
    indexes: Sequence[Index],
    options: Options,
    emit: events.Emit,
    *,
    tests_root: Path,
    local_wheels: Sequence[Path] = (),
    siblings: Sequence[str] = (),
    audit: AuditLog | None = None,
    before_upload: Callable[[], None] | None = None,
    known: Mapping[str, Listing | IndexError_] | None = None,
) -> tuple[TestInstall | None, list[StageResult]]:
    """check -> test-install -> for each stage (`indexes`, in release order): publish -> verify.

    `local_wheels` and `siblings` serve a packaging repository: the wheels of packages of the same
    repository it needs (for the test-install), and their names (installed from each index too).
    A stage that fails says which stage a re-run resumes at. `before_upload` runs before a stage
    uploads anything. `known`: what the stages served for this project before the build (read
    once, not again).
    """
    name, version = release_of(dists)
    state = ReleaseState.load(config.root, name, version)
    if not options.dry_run:  # what is recorded after the uploads must be writable before them
        state.writable()
        if audit is not None:
            audit.writable()
    public = any(i.repository.public for i in indexes)
    check(dists, public=public, allow_files=config.allow_files, emit=emit)
    # every stage before the first upload; the first stage's listing is fresh enough to publish by
    listings = refuse_lower(name, version, indexes, allow=config.allow_lower, emit=emit, known=known)
    first = indexes[0].repository.name if indexes else None
    tested = None
    if config.test_install:
        tested = test_install(
            dists,
            tests_root,
            python=options.python,
            local_wheels=local_wheels,
            group=config.test_group,
            emit=emit,
        )
    hashes = {d.filename: d.sha256 for d in dists}
    attester = Attester(config.attest, config.attestations, emit=emit)  # signs once, for every stage
    expect = Expectation(config.publisher, config.require_provenance)
    stages: list[StageResult] = []
    for index in indexes:
        repo = index.repository
        try:
            outcomes = publish(
                dists,
                index,
                dry_run=options.dry_run,
                allow_unverified=config.allow_unverified,
                audit=audit,
                emit=emit,
                served=listings.get(repo.name) if repo.name == first else None,
                before_upload=before_upload,
                attester=attester,
            )
            stage = StageResult(repo.name, outcomes)
            stages.append(stage)
            if options.dry_run:
                continue
            if all(o.action == "skipped" for o in outcomes) and state.verified(repo.name, hashes):
                wait_for_files(index, name, hashes, timeout=config.verify_timeout, emit=emit)
                events.info(emit, f"{name} {version} was already published to {repo.name} and verified")
                stage.verified = stage.resumed = True
                continue
            stage.provenance = verify(
                dists,
                index,
                timeout=config.verify_timeout,
                install=config.verify_install,
                python=options.python,
                siblings=siblings,
                emit=emit,
                expect=expect,
            ).provenance
        except StepFailed as exc:
            raise _resumable(exc, repo, [s.repository for s in stages if s.verified]) from None
        state.record(repo.name, hashes, installed=config.verify_install)
        stage.verified = True
    return tested, stages


def _resumable(exc: ShipyardError, repo: Repository, done: list[str]) -> ShipyardError:
    """The failure of stage `repo`, saying where the re-run picks up (what is there stays there)."""
    before = (
        f"{' and '.join(done)} {'is' if len(done) == 1 else 'are'} released and verified, " if done else ""
    )
    return exc.extended(f"; {before}re-run shipyard release to resume at stage {repo.name}")
