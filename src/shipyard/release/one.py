"""`shipyard publish` and `shipyard verify`: one step to one target, outside a release.

The command line parses, locks and renders; these open the target's index with its credential and
run the stage on the one Release value, as a release runs each of its stages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.check.check import check
from shipyard.config import Config, Repository, read_pyproject, setup_py_only, table_at
from shipyard.dists import Release, built_sizes
from shipyard.errors import UsageError
from shipyard.index import credentials
from shipyard.index.base import Index, release_page
from shipyard.index.open import open_index
from shipyard.publish.attest import Attester
from shipyard.publish.audit import AuditLog
from shipyard.publish.lower import refuse_lower
from shipyard.publish.provenance import Expectation
from shipyard.publish.publish import Outcome, Publishing, publish
from shipyard.publish.verify import Verified, Verifying, verify, verify_published

Ask = Callable[[Repository], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Published:
    release: Release
    repository: str
    outcomes: list[Outcome]
    page: str | None  # where the release can be seen (None for a dry run)


@dataclass(frozen=True)
class Target:
    """The one repository of a publish or verify, and how to reach it."""

    config: Config
    repository: Repository
    environ: Mapping[str, str]
    ask: Ask | None = None  # a prompt for a credential, on a terminal outside CI

    def index(self, emit: events.Emit) -> Index:
        repo, config = self.repository, self.config
        cred = credentials.resolve(repo, config.root, self.environ, one_off=True, ask=self.ask, emit=emit)
        credentials.warn_if_short(repo, cred, emit)
        return open_index(repo, cred, config.network)


def publish_to(
    target: Target,
    files: Callable[[], Release],
    *,
    dry_run: bool,
    lock: Callable[[], AbstractContextManager[None]],
    emit: events.Emit,
) -> Published:
    """Publish the release `files` gives to the target, after the same checks as a release's own
    (files named here were never checked). Outside a project (`publish FILE...` with no
    pyproject.toml) nothing is written there: no audit log, no lock."""
    config, repo = target.config, target.repository
    project = (config.root / "pyproject.toml").exists() or setup_py_only(config.root)
    credentials.guard_dotenv(config.root)  # a committed .env: refused whatever the credential's source
    index = target.index(emit)
    release = files()
    events.phase(emit, "check")  # --json: each step's duration, as a release reports them
    check(list(release.dists), public=repo.public, allow_files=config.allow_files, emit=emit, whole=False)
    audit = AuditLog.at(config.root, target.environ) if project else None
    if audit and not dry_run:
        audit.writable()
    events.phase(emit, "publish", repo.name)
    with contextlib.nullcontext() if dry_run or not project else lock():
        served = refuse_lower(release.name, release.version, [index], allow=config.allow_lower, emit=emit)
        attester = Attester(config.attest, config.attestations, emit=emit)
        how = Publishing(dry_run, config.allow_unverified, attester, audit)
        try:
            outcomes = publish(release, index, how, served=served.get(repo.name), emit=emit)
        finally:  # a trusted-publishing token lives as long as its stage
            index.burn()
    page = None if dry_run else release_page(repo, release.name, release.version)
    return Published(release, repo.name, outcomes, page)


@dataclass(frozen=True)
class Checked:
    name: str
    version: str
    exact: bool  # against the files we built (else against the hashes the index lists)
    verified: Verified


def verify_on(
    target: Target,
    files: Callable[[], Release | None],
    asked: str | None,
    *,
    install: bool,
    python: str,
    emit: events.Emit,
) -> Checked:
    """Verify the release `files` gives (our last build) on the target; with no build of the `asked`
    version, the files of that version as the index lists them."""
    config = target.config
    expect = Expectation(config.publisher, config.require_provenance)
    how = Verifying(config.verify_timeout, install, python, expect=expect)
    index = target.index(emit)
    built = files()
    events.phase(emit, "verify", target.repository.name)
    if built is not None and (asked is None or _same_version(asked, built.version)):
        return Checked(built.name, built.version, True, verify(built, index, how, emit=emit))
    if asked is None:
        raise UsageError("nothing to verify: run `shipyard build` first, or name a --version")
    from shipyard.builder import kept  # the build's folders: only a verify of a version not built here

    name = _project_name(config)
    sizes = built_sizes([*kept.folders(config.root), config.dist_dir])  # bounds for its downloads
    return Checked(name, asked, False, verify_published(index, name, asked, how, emit=emit, sizes=sizes))


def _same_version(asked: str, built: str) -> bool:
    try:
        return Version(asked) == Version(built)
    except InvalidVersion:
        return asked == built


def _project_name(config: Config) -> str:
    pyproject = read_pyproject(config.root)
    if setup_py_only(config.root):
        from shipyard.plan.target import project_name  # setup.py's name: git and a child process

        return project_name(config.root, pyproject)
    name = table_at(pyproject, "project").get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{config.root / 'pyproject.toml'} declares no [project] name to verify")
    return name
