"""check -> test-install -> for each stage: publish -> verify, for one built release.

Shared by the single-project release and the packaging repository's changed packages. Nothing
reaches a stage unless the stage before it verified; a failed stage says where a re-run resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from shipyard import events
from shipyard.check.check import check
from shipyard.config import Config
from shipyard.dists import Dist, Release
from shipyard.errors import IndexError_, ShipyardError, StepFailed
from shipyard.plan.target import Trigger
from shipyard.publish.attest import Attester
from shipyard.publish.lower import refuse_lower
from shipyard.publish.provenance import Expectation, Proven
from shipyard.publish.publish import Outcome, Publishing, publish, refuse_conflicts
from shipyard.publish.state import ReleaseState
from shipyard.publish.verify import Verifying, verify, wait_for_files
from shipyard.record import writer

if TYPE_CHECKING:
    from shipyard.check.testinstall import TestInstall
    from shipyard.config import Repository
    from shipyard.index.base import Index
    from shipyard.index.listing import Listing
    from shipyard.publish.audit import AuditLog


@dataclass(frozen=True)
class Request:
    """What a release command asks for: the project's config and the command's own flags. Made once
    by the command line, read by every step below it."""

    config: Config
    python: str
    dry_run: bool = False
    isolated: bool = True
    trigger: Trigger = field(default_factory=Trigger)
    dists: Path | None = None  # release --dists: these pre-built files, no build


@dataclass(frozen=True)
class Tests:
    """Where a release's tests are and, for a packaging repository's package, what it brings along:
    the wheels of the sibling packages it needs (for the test-install) and their names (installed
    from each index too when verifying)."""

    root: Path
    local_wheels: Sequence[Path] = ()
    siblings: Sequence[str] = ()


@dataclass(frozen=True)
class Bookkeeping:
    """What a release writes down as it goes: the stages it verified (its state file), every publish
    (the audit log), and `before_upload`, run before a stage uploads anything (the release keeps its
    files from then on)."""

    state: ReleaseState
    audit: AuditLog | None = None
    before_upload: Callable[[], None] | None = None

    @classmethod
    def of(
        cls,
        root: Path,
        release: Release,
        audit: AuditLog | None,
        before_upload: Callable[[], None] | None = None,
    ) -> Bookkeeping:
        return cls(ReleaseState.load(root, release.name, release.version), audit, before_upload)


@dataclass(frozen=True)
class Stages:
    """The release's stages, in release order, and what each served when it was read before the
    build (`known`: not read again)."""

    indexes: Sequence[Index]
    known: Mapping[str, Listing | IndexError_] = field(default_factory=dict)
    again: bool = False  # another release of this run uses these indexes (a packaging repository's)
    shared: bool = False  # other releases use them at the same time: burnt by the run between levels


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


@dataclass(frozen=True)
class TestedBefore:
    """The test-install an earlier run of this release passed with these very files (by sha256, the
    same python and test group): not run again (the release state keeps what it reported)."""

    said: Mapping[str, object]

    def as_json(self) -> dict[str, object]:
        return {**self.said, "reused": True}


@dataclass(kw_only=True)
class ShippedFiles:
    """What one unit of a run of many (a packaging repository's package, a workspace's member)
    built and shipped: its files, their test-install and each stage's result."""

    dists: list[Dist]
    test_install: TestInstall | TestedBefore | None = None
    stages: list[StageResult] = field(default_factory=list)
    durations: list[dict[str, object]] = field(default_factory=list)  # its own steps (`timed`)

    @property
    def verified(self) -> bool:
        return bool(self.stages) and all(s.verified for s in self.stages)

    def files_json(self) -> dict[str, object]:
        return {
            "dists": [d.as_json() for d in self.dists],
            "test_install": self.test_install.as_json() if self.test_install else None,
            "stages": [s.as_json() for s in self.stages],
            "verified": self.verified,
            "durations": self.durations,
        }


Unit = TypeVar("Unit")
Files = TypeVar("Files", bound=ShippedFiles)


class _Unit(Protocol):
    """A released unit as a run of many reports it (`Released`, a workspace's `Shipped`)."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def verified(self) -> bool: ...
    def as_json(self) -> dict[str, object]: ...


Done = TypeVar("Done", bound=_Unit)


@dataclass
class ManyReleased(Generic[Done]):
    """What a run of many (a packaging repository's packages, a workspace's members) released and
    recorded, or the record it finished for a run that stopped (`finished`, as journaled)."""

    released: list[Done] = field(default_factory=list)
    recorded: writer.Recorded = field(default_factory=writer.Recorded)  # the default: nothing recorded
    error: ShipyardError | None = None
    finished: list[dict[str, object]] = field(default_factory=list)

    def names(self, *, dry_run: bool = False) -> list[str]:
        """`name version` of what this run released (or would), or finished the record of."""
        done = [f"{r.name} {r.version}" for r in self.released if r.verified or dry_run]
        return done + [f"{p['name']} {p['version']}" for p in self.finished]

    def as_json(self) -> dict[str, object]:
        return {
            "packages": [r.as_json() for r in self.released] + self.finished,
            "commit": self.recorded.commit,
            "tags": list(self.recorded.tags),
            "pushed": self.recorded.pushed,
        }


def timed(work: Callable[[Unit, events.Emit], Files]) -> Callable[[Unit, events.Emit], Files]:
    """`work` on one unit of a run of many, its steps (build, then ship's) timed on a clock of its
    own: units released at once have their output held and shown later, so the run's clock cannot
    time them; `--json` gives each unit its `durations`."""

    def run(unit: Unit, emit: events.Emit) -> Files:
        own = events.Timed(emit)
        events.phase(own, "build")
        done = work(unit, own)
        done.durations = own.clock.stop()
        return done

    return run


@dataclass(frozen=True)
class Shipped:
    test_install: TestInstall | TestedBefore | None
    stages: list[StageResult]


def ship(
    release: Release,
    stages: Stages,
    request: Request,
    tests: Tests,
    books: Bookkeeping,
    emit: events.Emit,
) -> Shipped:
    """check -> test-install -> for each stage (`indexes`, in release order): publish -> verify.
    A stage that fails says which stage a re-run resumes at."""
    config, dry_run, indexes = request.config, request.dry_run, stages.indexes
    name = release.name
    listings, tested = _before_the_uploads(release, stages, request, tests, books, emit)
    first = indexes[0].repository.name if indexes else None
    attester = Attester(config.attest, config.attestations, emit=emit)  # signs once, for every stage
    how = Publishing(dry_run, config.allow_unverified, attester, books.audit, books.before_upload)
    checking = Verifying(
        config.verify_timeout,
        config.verify_install,
        request.python,
        tests.siblings,
        Expectation(config.publisher, config.require_provenance),
    )
    results: list[StageResult] = []
    for index in indexes:
        repo = index.repository
        try:
            served = listings.get(repo.name) if repo.name == first else None
            events.phase(emit, "publish", repo.name)
            stage = StageResult(repo.name, publish(release, index, how, served=served, emit=emit))
            results.append(stage)
            if dry_run:
                continue
            skipped = all(o.action == "skipped" for o in stage.outcomes)
            if skipped and books.state.verified(repo.name, release.hashes):
                wait_for_files(index, name, release.hashes, timeout=config.verify_timeout, emit=emit)
                events.info(emit, f"{release} was already published to {repo.name} and verified")
                stage.verified = stage.resumed = True
                continue
            events.phase(emit, "verify", repo.name)
            stage.provenance = verify(release, index, checking, emit=emit).provenance
        except StepFailed as exc:
            raise _resumable(exc, repo, [s.repository for s in results if s.verified]) from None
        finally:  # a trusted-publishing token lives as long as its stage
            if not stages.shared:  # not while another release uploads with it
                index.burn(again=stages.again)
        books.state.record(repo.name, release.hashes, installed=config.verify_install)
        stage.verified = True
    return Shipped(tested, results)


def _before_the_uploads(
    release: Release, stages: Stages, request: Request, tests: Tests, books: Bookkeeping, emit: events.Emit
) -> tuple[dict[str, Listing | IndexError_], TestInstall | TestedBefore | None]:
    """Everything that can stop the release before its first upload, cheapest first: the record is
    writable, the files pass check, no stage serves a higher version or our names with other bytes,
    and the tests pass against the installed wheel. Returns what each stage serves, and the tests."""
    config, indexes, dists = request.config, stages.indexes, list(release.dists)
    if not request.dry_run:  # what is recorded after the uploads must be writable before them
        books.state.writable()
        if books.audit is not None:
            books.audit.writable()
    events.phase(emit, "check")
    check(dists, public=any(i.repository.public for i in indexes), allow_files=config.allow_files, emit=emit)
    listings = refuse_lower(
        release.name, release.version, indexes, allow=config.allow_lower, emit=emit, known=stages.known
    )
    for index in indexes:  # a name taken with other bytes is known now: before any test runs
        refuse_conflicts(release, index, listings.get(index.repository.name))
    if not config.test_install:
        return listings, None
    events.phase(emit, "test-install")
    return listings, _tested(release, request, tests, books, emit)


def _tested(
    release: Release, request: Request, tests: Tests, books: Bookkeeping, emit: events.Emit
) -> TestInstall | TestedBefore:
    """The test-install of the release's files, unless these very files passed it before (a resume)."""
    config = request.config
    siblings = ",".join(sorted(p.name for p in tests.local_wheels))
    how = {"python": request.python, "test_group": config.test_group, "siblings": siblings}
    if (said := books.state.passed_tests(release.hashes, how)) is not None:
        events.info(
            emit, f"{release}: these very files (sha256) passed the test-install before: not run again"
        )
        return TestedBefore(said)
    from shipyard.check.testinstall import test_install  # venvs and test runners: only when asked

    tested = test_install(
        list(release.dists),
        tests.root,
        python=request.python,
        local_wheels=tests.local_wheels,
        group=config.test_group,
        requirements_file=config.test_requirements_file,
        emit=emit,
    )
    if not request.dry_run:
        books.state.record_tests(release.hashes, how, tested.as_json())
    return tested


def burn_all(indexes: Sequence[Index]) -> None:
    """The run is done with `indexes`: every upload token still held (trusted publishing) is burnt."""
    for index in indexes:
        index.burn()


def _resumable(exc: ShipyardError, repo: Repository, done: list[str]) -> ShipyardError:
    """The failure of stage `repo`, saying where the re-run picks up (what is there stays there)."""
    before = (
        f"{' and '.join(done)} {'is' if len(done) == 1 else 'are'} released and verified, " if done else ""
    )
    return exc.extended(f"; {before}re-run shipyard release to resume at stage {repo.name}")
