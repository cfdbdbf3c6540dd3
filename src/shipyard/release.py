"""The release: build -> check -> test-install -> for each stage: publish -> verify.

Stops at the first failure. Nothing reaches a stage unless the stage before it verified. A re-run
recognises what is already published and verified (the build is reproducible, the index is read
first, the state file remembers verified stages) and does only what is left.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shipyard import events, workdirs
from shipyard.build import build
from shipyard.config import Config
from shipyard.dists import Dist, release_of
from shipyard.index import credentials

if TYPE_CHECKING:
    from shipyard.publish import Outcome
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
    test_install: TestInstall | None = None
    stages: list[StageResult] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "dists": [d.as_json() for d in self.dists],
            "test_install": self.test_install.as_json() if self.test_install else None,
            "stages": [s.as_json() for s in self.stages],
        }


def release(
    config: Config, environ: Mapping[str, str], options: Options, emit: events.Emit = events.ignore
) -> ReleaseResult:
    repos = [config.repository(name) for name in config.stages]
    # every credential is found before anything is built: a missing one costs nothing
    creds = {r.name: credentials.resolve(r, config.root, environ) for r in repos}
    threading.Thread(target=_import_later, name="shipyard-imports", daemon=True).start()
    dists = build(config.root, config.dist_dir, isolated=options.isolated, emit=emit)
    from shipyard.check import check
    from shipyard.index.remote import session
    from shipyard.publish import publish
    from shipyard.state import ReleaseState
    from shipyard.testinstall import test_install
    from shipyard.verify import verify, wait_for_files

    name, version = release_of(dists)
    result = ReleaseResult(name, version, dists)
    check(dists, public=any(r.public for r in repos), emit=emit)
    if config.test_install:
        result.test_install = test_install(dists, config.root, python=options.python, emit=emit)
    state = ReleaseState.load(config.root, name, version)
    hashes = {d.filename: d.sha256 for d in dists}
    http = session()
    for repo in repos:
        cred = creds[repo.name]
        outcomes = publish(
            dists,
            repo,
            cred,
            http=http,
            dry_run=options.dry_run,
            allow_unverified=config.allow_unverified,
            emit=emit,
        )
        stage = StageResult(repo.name, outcomes)
        result.stages.append(stage)
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
            emit=emit,
        )
        state.record(repo.name, hashes, installed=config.verify_install)
        stage.verified = True
    if workdirs.unignored_state(config.root):
        events.warning(
            emit,
            f"add {workdirs.STATE}/ to .gitignore: shipyard keeps its state and local index there, "
            "and backends such as hatchling would pack it into the next sdist (which check then refuses)",
        )
    return result
