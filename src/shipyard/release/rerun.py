"""A re-run of a release that is already published and verified everywhere: one listing read per
stage, nothing else (its check and test-install passed before its first upload); for a version read
from git at its tag, not even a build (the files every stage verified are kept)."""

from __future__ import annotations

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.builder import kept
from shipyard.config import Config, read_pyproject
from shipyard.dists import Release, parse_filename
from shipyard.errors import ShipyardError
from shipyard.plan.target import Target, rules
from shipyard.publish.publish import Publishing, publish
from shipyard.publish.state import ReleaseState
from shipyard.release.ship import Bookkeeping, Request, StageResult, Stages
from shipyard.tools import git


def verified_at_head(
    config: Config, target: Target, emit: events.Emit
) -> tuple[Release, ReleaseState] | None:
    """A plain release of a version read from git (setuptools-scm, hatch-vcs) at a clean HEAD that
    carries its release tag: when every stage verified the files a kept build of that version holds,
    those files (placed in dist/) and the release's state, without building; None otherwise (the
    build then decides)."""
    root = config.root
    if target.mode != "project" or target.version is not None or not target.declared.from_vcs:
        return None
    project = read_pyproject(root).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    head = git.head(root)
    if not config.stages or not isinstance(name, str) or head is None or git.dirty(root):
        return None
    versions = {v for tag, commit in git.tags(root) if commit == head if (v := _version(config, tag, name))}
    for key, files in kept.recorded(root).items():
        try:
            ((canonical, version),) = {parse_filename(f)[1:] for f in files}
        except ValueError:
            continue  # no files, or not one release
        if canonical != canonicalize_name(name) or _parsed(version) not in versions:
            continue
        if (found := kept.load(root, key, config.dist_dir)) is None:
            continue
        release = Release.of(found[0])
        state = Bookkeeping.of(root, release, None).state
        if all(state.verified(s, release.hashes, installed=config.verify_install) for s in config.stages):
            events.info(emit, f"{name} {version} is tagged at HEAD and every stage verified its kept files")
            return release, state
    return None


def _version(config: Config, tag: str, name: str) -> Version | None:
    text = rules(config).pattern.match(tag, name)
    return _parsed(text) if text is not None else None


def _parsed(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


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
