"""`release --changed`: every package that changed since its last tag, in dependency order:
assemble -> build (in-process) -> check -> test-install -> per stage publish -> verify; then record.

Record (only for packages whose every stage verified): a section in the package's CHANGELOG, the
package table in the repository README, one commit for those files, and a `{package}-v{version}`
tag per package. A failure stops the run after recording what did verify, so the re-run releases
only what is left. The record is journaled (record/journal.py) like a single project's: a run killed
during it is finished by the same command, which builds and publishes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from shipyard import events
from shipyard.assemble.layout import Repo
from shipyard.assemble.tree import assemble, check_sources
from shipyard.builder.inprocess import Builder, build_tree
from shipyard.builder.reproducible import epoch_of, source_date_epoch
from shipyard.config import Config
from shipyard.dists import Dist, Release, in_folder
from shipyard.errors import NothingToRelease, UsageError
from shipyard.index import credentials
from shipyard.index.base import Index, release_page
from shipyard.index.open import open_index
from shipyard.plan import changelog
from shipyard.plan.changed import FIRST_VERSION, Package, levels, narrow, survey
from shipyard.plan.guards import guard_branch, guard_clean
from shipyard.plan.target import current_branch, rules
from shipyard.publish.audit import AuditLog
from shipyard.record import forge, journal, writer
from shipyard.record.table import readme_with_table
from shipyard.release.finish import finish
from shipyard.release.parallel import Outcome, Serialized, run_levels, workers
from shipyard.release.ship import (
    Bookkeeping,
    ManyReleased,
    Request,
    ShippedFiles,
    Stages,
    Tests,
    burn_all,
    ship,
    timed,
)
from shipyard.tools import procenv


@dataclass
class Released(ShippedFiles):
    package: Package
    version: str

    @property
    def name(self) -> str:
        return self.package.name

    def as_json(self) -> dict[str, object]:
        tag = self.package.plan.tag if self.package.plan else None
        return {"name": self.package.name, "version": self.version, "tag": tag, **self.files_json()}


@dataclass
class RepoRelease(ManyReleased[Released]):
    forge_releases: list[forge.ForgeRelease] = field(default_factory=list)  # GitHub's or GitLab's
    failed: list[str] = field(default_factory=list)  # `name version` of each package that failed
    not_started: list[str] = field(default_factory=list)  # left for the re-run by a failure

    def as_json(self) -> dict[str, object]:
        return super().as_json() | {
            "forge_releases": [f.as_json() for f in self.forge_releases],
            "failed": self.failed,
            "not_started": self.not_started,
        }


@dataclass
class _Run:
    """What one run knows about every package, surveyed once."""

    epoch: int | None  # SOURCE_DATE_EPOCH of this run's builds
    versions: dict[str, str]  # package -> its version after this run (released now, else the last)
    tagged: dict[str, str]  # package -> the commit of its last release tag
    audit: AuditLog
    branch: str | None  # the branch the release commit goes on
    command: str  # the one command that finishes this run's record (the journal says it)
    wheels: dict[str, Path] = field(default_factory=dict)  # wheels built in this run, for dependants
    build: Callable[[Path, Path, int | None], list[Dist]] = build_tree  # a Builder's, in parallel
    shared: bool = False  # packages are released at the same time (their indexes shared)
    siblings: threading.Lock = field(default_factory=threading.Lock)  # one builds a missing sibling


def release_changed(
    repo: Repo,
    request: Request,
    environ: Mapping[str, str],
    emit: events.Emit,
    *,
    only: Sequence[str] = (),
    record: bool = True,
) -> RepoRelease:
    """Release the changed packages (`only`: those and the changed packages they import), those of
    one dependency level at once (config.jobs); `record` False publishes and verifies but writes no
    changelog, commit or tag (a parallel job's share, recorded once afterwards by a run that finds
    every file published)."""
    emit = serial = Serialized(emit)  # one event, or one package's events, at a time
    procenv.register_credentials(environ)  # the forge's token too, before any text is made
    config, trigger, dry_run = request.config, request.trigger, request.dry_run
    branch = current_branch(repo.root, environ)
    guard_branch(trigger.if_branch, branch)
    asked = _command(trigger.pre, only, record)
    if not dry_run and (pending := journal.load(repo.root)) is not None:
        # before the tree is found dirty
        recorded, finished = finish(repo.root, pending, config, asked, trigger.push, emit)
        return RepoRelease(recorded=recorded, finished=finished)
    if not trigger.allow_dirty:
        guard_clean(config)
    if record and not dry_run:  # a lock a killed git left would stop the record after the publish
        writer.guard_locks(repo.root, [], branch)
    # the credentials are known to the redactor before any notes or CHANGELOG text is made
    repos = [config.repository(n) for n in config.stages]
    found = credentials.for_stages(repos, repo.root, environ, emit)
    indexes = [open_index(r, c, config.network) for r, c in zip(repos, found, strict=True)]
    everything, packages = _to_release(repo, config, trigger.pre, only)
    if request.dists is not None:  # every package's files there, before anything is published
        for p in packages:
            _prebuilt(request.dists / p.module.import_name, p)
    grouped = levels(repo, packages)
    shared = workers(config.jobs) > 1 and any(len(level) > 1 for level in grouped)
    run = _Run(
        source_date_epoch(repo.root),
        versions={p.name: str(p.last.version) for p in everything if p.last},
        tagged={p.name: p.last.commit for p in everything if p.last},
        audit=AuditLog.at(repo.root, environ),  # at the repository root, for every package
        branch=branch,
        command=asked,
        shared=shared,
    )
    run.versions.update({p.name: p.version for p in packages if p.version})
    events.phase(emit, "packages")  # each package's own steps: its `durations`
    result = _result(packages, _by_levels(repo, grouped, indexes, request, run, serial), emit)
    burn_all(indexes)  # the tokens kept for a next package (GitLab's, minted once a job)
    done = [r for r in result.released if r.verified]
    if record and not dry_run and done:
        events.phase(emit, "record")
        # what verified is recorded (and pushed) even when a later package failed: it is on the
        # index, and CI's re-run must see its tags to release only what is left
        result.recorded, result.forge_releases = _record(repo, request, done, run, environ, emit)
    return result


def _by_levels(
    repo: Repo,
    grouped: list[list[Package]],
    indexes: Sequence[Index],
    request: Request,
    run: _Run,
    emit: Serialized,
) -> Outcome[Package, Released]:
    """Each level's packages at once (run.shared), their builds in one worker process."""
    builder = Builder() if run.shared else None
    run.build = builder.build if builder else build_tree

    def between() -> None:  # a token shared by a level's packages is burnt once none uploads
        for index in indexes if run.shared else ():
            index.burn(again=True)

    def work(package: Package, said: events.Emit) -> Released:
        return _one(repo, package, indexes, request, run, said)

    try:
        return run_levels(grouped, timed(work), _title, emit, request.config.jobs, between)
    finally:
        if builder is not None:
            builder.close()


def _title(package: Package) -> str:
    assert package.version is not None and package.plan is not None
    return f"{package.name} {package.version}: {package.plan.reason}"


def _result(packages: list[Package], outcome: Outcome[Package, Released], emit: events.Emit) -> RepoRelease:
    """What the run released, in the plan's order; the first failure is the run's error."""
    at = {p.name: n for n, p in enumerate(packages)}
    result = RepoRelease(sorted((r for _, r in outcome.done), key=lambda r: at[r.package.name]))
    failed = sorted(outcome.failed, key=lambda f: at[f[0].name])
    result.failed = [f"{p.name} {p.version}" for p, _ in failed]
    result.not_started = [f"{p.name} {p.version}" for p in outcome.not_started]
    if failed:
        result.error = failed[0][1]
        if len(failed) > 1:
            others = ", ".join(result.failed[1:])
            result.error = result.error.extended(f"; {others} failed too (said with each package above)")
    if failed and result.not_started:
        events.info(emit, f"not started, left for the re-run: {', '.join(result.not_started)}")
    return result


def _record(
    repo: Repo,
    request: Request,
    done: list[Released],
    run: _Run,
    environ: Mapping[str, str],
    emit: events.Emit,
) -> tuple[writer.Recorded, list[forge.ForgeRelease]]:
    """The changelogs, the README table, one commit and a tag per package (journaled first: a re-run
    finishes it, whatever point it died at), pushed if asked; then the forge's releases."""
    config = request.config
    what = _record_of(repo, config, done, run.branch, run.epoch)
    writer.guard_locks(repo.root, [t.name for t in what.tags], what.branch)
    steps = writer.steps_of(repo.root, what, push=request.trigger.push, remote=config.remote)
    journaled = [_journaled(r) for r in done]
    journal.save(repo.root, journal.Journal(steps, {"packages": journaled, "command": run.command}))
    recorded = journal.carry_out(repo.root, steps, emit)
    if not config.forge_release:
        return recorded, []
    tagged = [_tagged(r, config) for r in done if r.package.plan and r.package.plan.tag]
    budget = config.network.retry_timeout
    return recorded, forge.make_releases(tagged, environ, emit, on_remote=recorded.pushed, budget=budget)


def _command(pre: str | None, only: Sequence[str], record: bool) -> str:
    """The command a journal is finished by (a --push may be added, or said again)."""
    words = ["shipyard", "release", "--changed", *(["--pre", pre] if pre else [])]
    words += [w for name in sorted(only) for w in ("--package", name)]
    return " ".join(words + ([] if record else ["--no-record"]))


def _journaled(r: Released) -> dict[str, object]:
    """What the journal says about a package: enough to report it again."""
    tag = r.package.plan.tag if r.package.plan else None
    stages = tuple(s.repository for s in r.stages)
    return journal.Journaled(r.package.name, r.version, tag, tuple(r.dists), stages).as_json()


def _to_release(
    repo: Repo, config: Config, pre: str | None, only: Sequence[str]
) -> tuple[list[Package], list[Package]]:
    """Every package of the repository, and the changed ones to release (`only`: those and the
    changed packages they import)."""
    everything = survey(repo, rules(config), pre=pre, only_changed=False)
    packages = [p for p in everything if p.version]
    if only:
        packages = narrow(repo, packages, list(only))
        if not packages:
            raise NothingToRelease(f"nothing to release: {', '.join(only)} did not change since its last tag")
    if not packages:
        raise NothingToRelease("nothing to release: no package changed since its last tag")
    for p in packages:  # a link out of the repository stops the run before any package is built
        check_sources(repo, p.module)
    return everything, packages


def _tagged(released: Released, config: Config) -> forge.Tagged:
    plan = released.package.plan
    assert plan is not None and plan.tag is not None
    last = config.repository(released.stages[-1].repository)
    seen = release_page(last, released.package.name, released.version)
    return forge.Tagged(plan.tag, released.package.name, released.version, forge.body(plan.notes(), seen))


def _one(
    repo: Repo, package: Package, indexes: Sequence[Index], request: Request, run: _Run, emit: events.Emit
) -> Released:
    assert package.version is not None
    imp, wheels = package.module.import_name, run.wheels
    built = assemble(repo, package.module, package.version, repo.root / "build" / imp, run.versions)
    if request.dists is not None:  # built once by an earlier job: every stage gets those very files
        dists = _prebuilt(request.dists / imp, package)
    else:
        dists = run.build(built.tree, repo.root / "dist" / imp, run.epoch)
    for d in dists:
        emit(events.Event("file", f"{d.filename}  sha256:{d.sha256}", d.as_json()))
    with run.siblings:  # two packages of a level may need the same unchanged one
        missing = [s for s in built.siblings if s not in wheels]
        if missing and request.config.test_install:
            wheels.update(_sibling_wheels(repo, missing, run))
    local = [wheels[s] for s in built.siblings if s in wheels]
    wheels[package.name] = next(d.path for d in dists if d.kind == "wheel")
    made = Release.of(dists)
    tests = Tests(built.tree, local_wheels=local, siblings=built.siblings)
    stages = Stages(indexes, again=True, shared=run.shared)
    shipped = ship(made, stages, request, tests, Bookkeeping.of(repo.root, made, run.audit), emit)
    return Released(
        package, package.version, dists=dists, test_install=shipped.test_install, stages=shipped.stages
    )


def _prebuilt(folder: Path, package: Package) -> list[Dist]:
    """`release --changed --dists DIR`: the files an earlier run built into DIR/<import name>/ (its
    dist/ folder, handed over), which must be this package at the version this release is."""
    if not folder.is_dir():
        raise UsageError(
            f"--dists {folder.parent} has no {folder.name}/ folder: "
            f"{package.name} {package.version} was not built there"
        )
    dists = in_folder(folder)
    made = Release.of(dists)
    name, version = made.name, made.version
    assert package.version is not None
    if name != canonicalize_name(package.name) or Version(version) != Version(package.version):
        raise UsageError(
            f"--dists {folder} holds {name} {version}, but this release is {package.name} {package.version}"
        )
    return dists


def _sibling_wheels(repo: Repo, names: list[str], run: _Run) -> dict[str, Path]:
    """Wheels of unchanged packages this one needs, rebuilt at their last released version and dated
    like that release (its tag's commit is dated like its build), so that the test-install runs
    against the very bytes the index serves."""
    found: dict[str, Path] = {}
    for name in names:
        module = repo.module(name)
        tree = assemble(
            repo, module, run.versions.get(name, FIRST_VERSION), repo.root / "build" / module.import_name
        )
        when = epoch_of(repo.root, run.tagged[name]) if name in run.tagged else run.epoch
        dists = run.build(tree.tree, repo.root / "dist" / module.import_name, when)
        found[name] = next(d.path for d in dists if d.kind == "wheel")
    return found


def _record_of(
    repo: Repo, config: Config, done: list[Released], branch: str | None, epoch: int | None
) -> writer.Record:
    """A section in each package's CHANGELOG, the README's package table, one commit for those
    files, and a tag per package."""
    date = changelog.release_date(epoch)
    edits: dict[str, bytes] = {}
    for r in done:
        assert r.package.plan is not None
        rel = f"{repo.layout.docs}/{r.package.module.import_name}/CHANGELOG.md"
        path = repo.root / rel
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        try:
            edits[rel] = changelog.update(old, r.version, date, r.package.plan.notes()).encode("utf-8")
        except ValueError:
            continue  # a re-run after a failed commit: the section is there already
    edits.update(readme_with_table(repo, config, {r.package.name: r.version for r in done}))
    names = ", ".join(f"{r.package.name} {r.version}" for r in done)
    commit = writer.Commit(f"chore(release): {names}", edits, epoch) if edits else None
    tags = tuple(
        writer.Tag(r.package.plan.tag, f"{r.package.name} {r.version}")
        for r in done
        if r.package.plan and r.package.plan.tag
    )
    return writer.Record(commit, tags, branch)
