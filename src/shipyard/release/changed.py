"""`release --changed`: every package that changed since its last tag, in dependency order:
assemble -> build (in-process) -> check -> test-install -> per stage publish -> verify; then record.

Record (only for packages whose every stage verified): a section in the package's CHANGELOG, the
package table in the repository README, one commit for those files, and a `{package}-v{version}`
tag per package. A failure stops the run after recording what did verify, so the re-run releases
only what is left.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard import events
from shipyard.assemble.layout import Repo
from shipyard.assemble.tree import assemble
from shipyard.build.inprocess import build_tree
from shipyard.build.reproducible import epoch_of, source_date_epoch
from shipyard.config import Config
from shipyard.dists import Dist
from shipyard.errors import NothingToRelease, ShipyardError
from shipyard.index import credentials
from shipyard.index.base import Index
from shipyard.index.open import open_index
from shipyard.plan import changelog
from shipyard.plan.changed import Package, narrow, survey
from shipyard.plan.target import current_branch, guard_branch, guard_clean, rules
from shipyard.release.ship import Options, StageResult, ship
from shipyard.tools import git

if TYPE_CHECKING:
    from shipyard.check.testinstall import TestInstall
    from shipyard.publish.audit import AuditLog

TABLE_START, TABLE_END = "<!-- shipyard:packages -->", "<!-- /shipyard:packages -->"


@dataclass
class Released:
    package: Package
    version: str
    dists: list[Dist]
    test_install: TestInstall | None = None
    stages: list[StageResult] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return bool(self.stages) and all(s.verified for s in self.stages)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.package.name,
            "version": self.version,
            "tag": self.package.plan.tag if self.package.plan else None,
            "dists": [d.as_json() for d in self.dists],
            "test_install": self.test_install.as_json() if self.test_install else None,
            "stages": [s.as_json() for s in self.stages],
            "verified": self.verified,
        }


@dataclass
class RepoRelease:
    released: list[Released] = field(default_factory=list)
    commit: str | None = None
    tags: list[str] = field(default_factory=list)
    pushed: bool = False
    error: ShipyardError | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "packages": [r.as_json() for r in self.released],
            "commit": self.commit,
            "tags": self.tags,
            "pushed": self.pushed,
        }


@dataclass
class _Run:
    """What one run knows about every package, surveyed once."""

    epoch: int | None  # SOURCE_DATE_EPOCH of this run's builds
    versions: dict[str, str]  # package -> its version after this run (released now, else the last)
    tagged: dict[str, str]  # package -> the commit of its last release tag
    audit: AuditLog
    wheels: dict[str, Path] = field(default_factory=dict)  # wheels built in this run, for dependants


def release_changed(
    repo: Repo,
    config: Config,
    environ: Mapping[str, str],
    options: Options,
    emit: events.Emit,
    *,
    only: Sequence[str] = (),
    record: bool = True,
) -> RepoRelease:
    """Release the changed packages (`only`: those and the changed packages they import); `record`
    False publishes and verifies but writes no changelog, commit or tag (a parallel job's share,
    recorded once afterwards by a run that finds every file published)."""
    trigger = options.trigger
    branch = current_branch(repo.root, environ)
    guard_branch(trigger.if_branch, branch)
    if not trigger.allow_dirty:
        guard_clean(config)
    everything = survey(repo, rules(config), pre=trigger.pre, only_changed=False)
    packages = [p for p in everything if p.version]
    if only:
        packages = narrow(repo, packages, list(only))
        if not packages:
            raise NothingToRelease(f"nothing to release: {', '.join(only)} did not change since its last tag")
    if not packages:
        raise NothingToRelease("nothing to release: no package changed since its last tag")
    repos = [config.repository(n) for n in config.stages]
    indexes = [open_index(r, credentials.resolve(r, repo.root, environ), config.network) for r in repos]
    from shipyard.publish.audit import AuditLog

    run = _Run(
        source_date_epoch(repo.root),
        versions={p.name: str(p.last.version) for p in everything if p.last},
        tagged={p.name: p.last.commit for p in everything if p.last},
        audit=AuditLog.at(repo.root, environ),  # at the repository root, for every package
    )
    run.versions.update({p.name: p.version for p in packages if p.version})
    result = RepoRelease()
    for package in packages:
        assert package.version is not None and package.plan is not None
        events.step(emit, f"{package.name} {package.version}: {package.plan.reason}")
        try:
            result.released.append(_one(repo, config, package, indexes, options, run, emit))
        except ShipyardError as exc:
            result.error = exc
            break
    if record and not options.dry_run:
        _record(repo, config, result, trigger.push, branch, run.epoch, emit)
    return result


def _one(
    repo: Repo,
    config: Config,
    package: Package,
    indexes: Sequence[Index],
    options: Options,
    run: _Run,
    emit: events.Emit,
) -> Released:
    assert package.version is not None
    imp, wheels = package.module.import_name, run.wheels
    built = assemble(repo, package.module, package.version, repo.root / "build" / imp, run.versions)
    dists = build_tree(built.tree, repo.root / "dist" / imp, run.epoch)
    for d in dists:
        emit(events.Event("file", f"{d.filename}  sha256:{d.sha256}", d.as_json()))
    missing = [s for s in built.siblings if s not in wheels]
    if missing and config.test_install:
        wheels.update(_sibling_wheels(repo, missing, run))
    local = [wheels[s] for s in built.siblings if s in wheels]
    wheels[package.name] = next(d.path for d in dists if d.kind == "wheel")
    released = Released(package, package.version, dists)
    released.test_install, released.stages = ship(
        config,
        dists,
        indexes,
        options,
        emit,
        tests_root=built.tree,
        local_wheels=local,
        siblings=built.siblings,
        audit=run.audit,
    )
    return released


def _sibling_wheels(repo: Repo, names: list[str], run: _Run) -> dict[str, Path]:
    """Wheels of unchanged packages this one needs, rebuilt at their last released version and dated
    like that release (its tag's commit is dated like its build), so that the test-install runs
    against the very bytes the index serves."""
    from shipyard.plan.changed import FIRST_VERSION

    found: dict[str, Path] = {}
    for name in names:
        module = repo.module(name)
        tree = assemble(
            repo, module, run.versions.get(name, FIRST_VERSION), repo.root / "build" / module.import_name
        )
        when = epoch_of(repo.root, run.tagged[name]) if name in run.tagged else run.epoch
        dists = build_tree(tree.tree, repo.root / "dist" / module.import_name, when)
        found[name] = next(d.path for d in dists if d.kind == "wheel")
    return found


def _link(config: Config, name: str, version: str) -> str:
    """Where the last stage shows the release: PyPI's project page, else the simple-index page."""
    from urllib.parse import urlsplit

    stage = config.repository(config.stages[-1])
    if stage.is_local:
        return ""
    host = urlsplit(stage.simple_url).hostname or ""
    if host in ("pypi.org", "test.pypi.org"):
        return f"[{host}](https://{host}/project/{name}/{version}/)"
    return f"[{stage.name}]({stage.simple_url}{name}/)"


def _table(repo: Repo, config: Config, versions: Mapping[str, str]) -> str:
    from shipyard.assemble import metadata

    lines = ["| package | version | description | link |", "|---|---|---|---|"]
    for module in repo.modules():
        if module.name not in versions:
            continue
        try:
            description = metadata.read(module.path).description
        except ShipyardError:
            description = ""
        version = versions[module.name]
        lines.append(f"| {module.name} | {version} | {description} | {_link(config, module.name, version)} |")
    return "\n".join(lines)


def _readme_with_table(repo: Repo, config: Config, new: Mapping[str, str]) -> dict[str, bytes]:
    """README.md with its package table (between the markers) showing every released version."""
    from shipyard.plan.versions import released

    path = repo.root / "README.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if TABLE_START not in text or TABLE_END not in text:
        return {}
    all_tags, pattern = git.tags(repo.root), rules(config).pattern
    versions = {}
    for module in repo.modules():
        tags = released(all_tags, pattern, module.name)
        if module.name in new or tags:
            versions[module.name] = new.get(module.name) or str(tags[-1].version)
    head, _, rest = text.partition(TABLE_START)
    tail = rest.partition(TABLE_END)[2]
    table = f"{head}{TABLE_START}\n{_table(repo, config, versions)}\n{TABLE_END}{tail}"
    return {"README.md": table.encode("utf-8")} if table != text else {}


def _record(
    repo: Repo,
    config: Config,
    result: RepoRelease,
    push: bool,
    branch: str | None,
    epoch: int | None,
    emit: events.Emit,
) -> None:
    from shipyard.record.writer import restore_files, write_files

    done = [r for r in result.released if r.verified]
    if not done:
        return
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch if epoch is not None else time.time()))
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
    edits.update(_readme_with_table(repo, config, {r.package.name: r.version for r in done}))
    tags = [r.package.plan.tag for r in done if r.package.plan and r.package.plan.tag]
    before = write_files(repo.root, edits)
    try:
        if edits:
            names = ", ".join(f"{r.package.name} {r.version}" for r in done)
            result.commit = git.commit(repo.root, sorted(edits), f"chore(release): {names}", epoch=epoch)
        for r, tag in zip(done, tags, strict=True):
            git.create_tag(repo.root, tag, f"{r.package.name} {r.version}")
    except ShipyardError:
        restore_files(repo.root, before)
        raise
    result.tags = tags
    events.info(emit, f"recorded {', '.join(tags)}" + (f" on {result.commit[:12]}" if result.commit else ""))
    if push:
        # what verified is pushed even when a later package failed: it is on the index, and CI's
        # re-run must see its tags to release only what is left
        refs = [f"HEAD:refs/heads/{branch}"] if branch and result.commit else []
        git.push(repo.root, config.remote, [*refs, *(f"refs/tags/{t}" for t in tags)])
        result.pushed = True
        events.info(emit, f"pushed {', '.join(tags)} to {config.remote}")
