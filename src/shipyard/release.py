"""The release: build -> check -> test-install -> for each stage: publish -> verify.

Stops at the first failure. Nothing reaches a stage unless the stage before it verified. A re-run
recognises what is already published and verified (the build is reproducible, the index is read
first, the state file remembers verified stages) and does only what is left.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from shipyard import events, workdirs
from shipyard.build import build
from shipyard.config import Config
from shipyard.dists import Dist, release_of
from shipyard.errors import BuildError, ShipyardError, StepFailed
from shipyard.index import credentials
from shipyard.target import Target, Trigger, resolve

if TYPE_CHECKING:
    from shipyard.audit import AuditLog
    from shipyard.config import Repository
    from shipyard.index.credentials import Credential
    from shipyard.publish import Outcome
    from shipyard.record import Recorded
    from shipyard.testinstall import TestInstall

# imported in a thread while the build backend runs: 0.1 s of a small release's 0.7 s
_LATER = (
    "shipyard.publish",
    "shipyard.verify",
    "shipyard.check",
    "shipyard.testinstall",
    "twine.package",
    "requests_toolbelt",
    "twine.repository",
    "packaging.metadata",
    "readme_renderer.rst",
)


def _import_later() -> None:
    for name in _LATER:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - the foreground import will say what is missing
            return


@dataclass(frozen=True)
class Options:
    python: str
    dry_run: bool = False
    isolated: bool = True
    trigger: Trigger = field(default_factory=Trigger)


@dataclass
class StageResult:
    repository: str
    outcomes: list[Outcome]
    verified: bool = False
    resumed: bool = False  # already published and verified by an earlier run

    def as_json(self) -> dict[str, object]:
        return {
            "repository": self.repository,
            "files": [o.as_json() for o in self.outcomes],
            "verified": self.verified,
            "resumed": self.resumed,
        }


@dataclass
class ReleaseResult:
    name: str
    version: str
    dists: list[Dist]
    target: Target
    test_install: TestInstall | None = None
    stages: list[StageResult] = field(default_factory=list)
    recorded: Recorded | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "target": self.target.as_json(),
            "dists": [d.as_json() for d in self.dists],
            "test_install": self.test_install.as_json() if self.test_install else None,
            "stages": [s.as_json() for s in self.stages],
            "recorded": self.recorded.as_json() if self.recorded else None,
        }


def _build(config: Config, target: Target, options: Options, emit: events.Emit) -> list[Dist]:
    """Build in place, or from a stamped copy when the version must be written into the sources."""
    from shipyard.stamp import stamped

    def build_from(srcdir: Path) -> list[Dist]:
        isolated, epoch, env = options.isolated, target.epoch, target.env
        return build(srcdir, config.dist_dir, isolated=isolated, emit=emit, epoch=epoch, env=env)

    # setuptools-scm-style projects need .git to list their files: they build in place, told the version
    if not target.edits or target.declared.from_vcs:
        return build_from(config.root)
    with stamped(config.root, target.edits) as (copy, made):
        events.info(emit, f"building {target.version} from a copy with {', '.join(sorted(made))} updated")
        target.edits = made
        return build_from(copy)


def release(
    config: Config, environ: Mapping[str, str], options: Options, emit: events.Emit = events.ignore
) -> ReleaseResult:
    repos = [config.repository(name) for name in config.stages]
    # the version and every credential are settled before anything is built: a refusal costs nothing
    target = resolve(config, options.trigger, environ)
    creds = {r.name: credentials.resolve(r, config.root, environ) for r in repos}
    threading.Thread(target=_import_later, name="shipyard-imports", daemon=True).start()
    if target.plan is not None:
        events.info(emit, f"{target.name} {target.version}: {target.plan.reason}")
    dists = _build(config, target, options, emit)
    name, version = release_of(dists)
    if target.version is not None and Version(version) != Version(target.version):
        raise BuildError(
            f"the backend built version {version}, but this release is {target.version}: "
            f"shipyard could not set the version ({target.declared.source})"
        )
    result = ReleaseResult(name, version, dists, target)
    from shipyard.audit import AuditLog

    audit = AuditLog.at(config.root, environ)
    result.test_install, result.stages = ship(
        config, dists, creds, options, emit, tests_root=config.root, audit=audit
    )
    if not options.dry_run and (target.commit or target.create_tag):
        from shipyard.record import record

        result.recorded = record(
            config.root, target, push=options.trigger.push, remote=config.remote, emit=emit
        )
    if workdirs.unignored_state(config.root):
        events.warning(
            emit,
            f"add {workdirs.STATE}/ to .gitignore: shipyard keeps its state and local index there, "
            "and backends such as hatchling would pack it into the next sdist (which check then refuses)",
        )
    return result


def ship(
    config: Config,
    dists: list[Dist],
    creds: Mapping[str, Credential | None],
    options: Options,
    emit: events.Emit,
    *,
    tests_root: Path,
    local_wheels: Sequence[Path] = (),
    siblings: Sequence[str] = (),
    audit: AuditLog | None = None,
) -> tuple[TestInstall | None, list[StageResult]]:
    """check -> test-install -> for each stage: publish -> verify, for one built release.

    `local_wheels` and `siblings` serve a packaging repository: the wheels of packages of the same
    repository it needs (for the test-install), and their names (installed from each index too).
    A stage that fails says which stage a re-run resumes at.
    """
    from shipyard.check import check
    from shipyard.index.remote import session
    from shipyard.publish import publish
    from shipyard.state import ReleaseState
    from shipyard.testinstall import test_install
    from shipyard.verify import verify, wait_for_files

    repos = [config.repository(n) for n in config.stages]
    name, version = release_of(dists)
    check(dists, public=any(r.public for r in repos), emit=emit)
    tested = None
    if config.test_install:
        tested = test_install(dists, tests_root, python=options.python, local_wheels=local_wheels, emit=emit)
    state = ReleaseState.load(config.root, name, version)
    hashes = {d.filename: d.sha256 for d in dists}
    http = session(config.network)
    stages: list[StageResult] = []
    for repo in repos:
        cred = creds[repo.name]
        try:
            outcomes = publish(
                dists,
                repo,
                cred,
                http=http,
                dry_run=options.dry_run,
                allow_unverified=config.allow_unverified,
                audit=audit,
                emit=emit,
            )
            stage = StageResult(repo.name, outcomes)
            stages.append(stage)
            if options.dry_run:
                continue
            if all(o.action == "skipped" for o in outcomes) and state.verified(repo.name, hashes):
                wait_for_files(http, repo, name, hashes, cred, timeout=config.verify_timeout, emit=emit)
                events.info(emit, f"{name} {version} was already published to {repo.name} and verified")
                stage.verified = stage.resumed = True
                continue
            verify(
                dists,
                repo,
                cred,
                timeout=config.verify_timeout,
                install=config.verify_install,
                python=options.python,
                http=http,
                siblings=siblings,
                emit=emit,
            )
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
    exc.message = f"{exc.message}; {before}re-run shipyard release to resume at stage {repo.name}"
    exc.args = (exc.message,)
    return exc
