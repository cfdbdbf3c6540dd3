"""Which packages of a packaging repository changed since their last tag, and their next versions.

A package changed when its module, one of its files in the other folders, or a component it
imports differs at HEAD from its last release (its highest tag, `{package}-v{version}`; in a
package-auto-assembler repository `v{version}_{module}`, or the version paa's tracking file records
when that is higher); a package without either is new. Modules that are no packages (excluded, or
without `__package_metadata__` in a paa repository) are not planned: `Repo.skipped()` says why.
The file diffs of every package come from one `git diff-tree --stdin`, and a module is only parsed
when a component changed and its source names that component, so a thousand packages plan in a
fraction of a second.
"""

from __future__ import annotations

import graphlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from shipyard.assemble import metadata, paa
from shipyard.assemble.layout import Module, Repo
from shipyard.assemble.needs import python_files, scanner
from shipyard.config import table_at
from shipyard.errors import UsageError, did_you_mean
from shipyard.plan.guards import shallow_guard
from shipyard.plan.history import History
from shipyard.plan.nextrelease import Plan, Rules, Subject, make_plan
from shipyard.plan.versions import Bump, Tagged, parse_version, released, released_by_package
from shipyard.tools import git

FIRST_VERSION = "0.1.0"


@dataclass
class Package:
    module: Module
    last: Tagged | None
    tags: list[Tagged] = field(default_factory=list)  # its releases, oldest first
    changed: list[str] = field(default_factory=list)  # files that differ since the last tag
    plan: Plan | None = None
    tracked: bool = False  # the last release is recorded in paa's tracking file only, not tagged

    @property
    def name(self) -> str:
        return self.module.name

    @property
    def recorded_in(self) -> str:
        """Where the last release is recorded: its tag, or paa's tracking file."""
        return paa.TRACKING if self.tracked else self.last.tag if self.last else ""

    @property
    def last_label(self) -> str:
        """The last release as plan shows it: its tag, or its version and the tracking file."""
        return f"{self.last.version} in {paa.TRACKING}" if self.tracked and self.last else self.recorded_in

    @property
    def version(self) -> str | None:
        """The version to release: the plan's, or None when unchanged."""
        return str(self.plan.next_version) if self.plan and self.plan.next_version else None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "last_tag": self.last.tag if self.last and not self.tracked else None,
            "last_version": str(self.last.version) if self.last else None,
            "last_recorded_in": self.recorded_in or None,
            "changed_files": self.changed,
            "next_version": self.version,
            "plan": self.plan.as_json() if self.plan else None,
        }


def _rel(top: Path, path: Path) -> str:
    return os.path.relpath(path, top).replace(os.sep, "/")


def _touches(changed: set[str], prefixes: list[str]) -> list[str]:
    return sorted(f for f in changed if any(f == p or f.startswith(p + "/") for p in prefixes))


def _uses(repo: Repo, module: Module, component: str) -> bool:
    """Whether the module imports `component`: a look at its import lines first, the AST only when
    one of them names the component (or the components package), so a common name costs little."""
    scan = scanner(repo, module, lenient=True)
    named = re.compile(
        rf"^[ \t]*(?:from|import)[ \t][^\n]*\b(?:{re.escape(component)}|components)\b", re.MULTILINE
    )
    return any(
        named.search(path.read_text(encoding="utf-8")) and component in scan(path).local
        for path in python_files(module.path)
    )


def _last_releases(repo: Repo, rules: Rules, all_tags: list[tuple[str, str]]) -> list[Package]:
    modules = repo.modules()
    names = [repo.tag_name(m) for m in modules]
    # a repository without tags has nothing to match (the pattern of a thousand names costs 0.2 s)
    by_package: dict[str, list[Tagged]] | None = {} if not all_tags else None
    if all_tags and rules.pattern.has_package:
        by_package = released_by_package(all_tags, rules.pattern, names)
    tracked = paa.tracked_versions(repo.root) if repo.paa is not None else {}
    packages = []
    for module in modules:
        if by_package is None:
            tags = released(all_tags, rules.pattern, module.name)
        else:
            tags = by_package.get(canonicalize_name(module.name), [])
        package = Package(module, tags[-1] if tags else None, tags)
        version = tracked.get(canonicalize_name(module.name))
        if version is not None and (package.last is None or version > package.last.version):
            _track(repo, rules, package, version)
        packages.append(package)
    return packages


def _track(repo: Repo, rules: Rules, package: Package, version: Version) -> None:
    """paa's tracking file is ahead of the tags: its version is the last release, and the commit that
    recorded it is where the package's changes are counted from."""
    name = repo.tag_name(package.module)
    line = rf"^{re.escape(name)}: *['\"]*{re.escape(str(version))}['\"]* *$"
    commit = git.last_change(repo.root, paa.TRACKING, line) or git.head(repo.root)
    assert commit is not None  # survey() refuses a repository without a commit
    package.last = Tagged(rules.pattern.format(version, name), version, commit)
    package.tags.append(package.last)
    package.tracked = True


def _mark_changes(repo: Repo, top: Path, packages: list[Package]) -> None:
    """Each package's files that differ at HEAD from its last tag (all of them for a new package)."""
    diffs = git.changed_since(repo.root, [p.last.commit for p in packages if p.last])
    components = {name: _rel(top, path) for name, path in repo.components().items()}
    for package in packages:
        own = [_rel(top, p) for p in repo.files_of(package.module)]
        if package.last is None:
            package.changed = own
            continue
        changed = diffs.get(package.last.commit, set())
        package.changed = _touches(changed, own)
        for name, path in components.items():
            if _touches(changed, [path]) and _uses(repo, package.module, name):
                package.changed += _touches(changed, [path])


def survey(repo: Repo, rules: Rules, *, pre: str | None = None, only_changed: bool = True) -> list[Package]:
    """Every package (or only the changed ones), in dependency order, with its plan if it changed."""
    top = git.toplevel(repo.root)
    if top is None or git.head(repo.root) is None:
        raise UsageError(
            f"{repo.root} is not a git repository with a commit: packages are released from tags"
        )
    history = History.read(repo.root)
    packages = _last_releases(repo, rules, list(history.tags))
    new = sum(p.last is None for p in packages)
    if not history.tags or new:
        history = history.checked()  # one shallow check a run, however many packages are new
    if new > 1:  # one log of the whole history for all of them, not one each
        history = history.batched(top)
    if not history.tags:
        shallow_guard(history, [])
    _mark_changes(repo, top, packages)
    for package in packages:
        if package.changed:
            package.plan = _plan(repo, top, history, rules, package, pre)
    chosen = [p for p in packages if p.version] if only_changed else packages
    return order(repo, chosen)


def _plan(repo: Repo, top: Path, history: History, rules: Rules, package: Package, pre: str | None) -> Plan:
    declared = None
    if package.last is None:
        meta = metadata.read(
            package.module.path, table_at(repo.table, "packages").get(package.module.import_name)
        )
        declared = meta.version or FIRST_VERSION
        parse_version(declared, f"{package.module.path}: __package_metadata__ version")
    paths = {os.path.relpath(top / f, repo.root) for f in package.changed}
    if package.last is not None:  # a new package's changed files are all of its files already
        paths |= {os.path.relpath(p, repo.root) for p in repo.files_of(package.module)}
    return make_plan(
        history.with_tags([(t.tag, t.commit) for t in package.tags]),
        Subject(repo.tag_name(package.module), declared, tuple(sorted(paths))),
        rules,
        pre=pre,
        at_least=Bump.PATCH,
    )


def dependencies(repo: Repo, packages: list[Package]) -> dict[str, set[str]]:
    """Import name -> the import names of the packages in the list it imports."""
    by_import = {p.module.import_name for p in packages}
    graph: dict[str, set[str]] = {}
    for package in packages:
        scan = scanner(repo, package.module, lenient=True)  # a bad import blocks only its own package
        needs: set[str] = set()
        for path in python_files(package.module.path):
            found = scan(path)
            needs |= {r.import_name for r in (*found.required, *found.optional) if r.import_name in by_import}
        graph[package.module.import_name] = needs - {package.module.import_name}
    return graph


def order(repo: Repo, packages: list[Package]) -> list[Package]:
    """Packages that others in the list depend on come first (imports of sibling modules)."""
    by_import = {p.module.import_name: p for p in packages}
    try:
        names = list(graphlib.TopologicalSorter(dependencies(repo, packages)).static_order())
    except graphlib.CycleError as exc:
        raise UsageError(f"packages import each other in a cycle: {' -> '.join(exc.args[1])}") from None
    return [by_import[n] for n in names]


def levels(repo: Repo, packages: list[Package]) -> list[list[Package]]:
    """`packages` (in dependency order) in levels: each imports only packages of the levels before
    it, so the packages of one level can be released at the same time."""
    graph = dependencies(repo, packages)
    depth: dict[str, int] = {}
    for p in packages:  # dependency order: what a package imports has its depth already
        name = p.module.import_name
        depth[name] = 1 + max((depth[d] for d in graph[name] if d in depth), default=-1)
    grouped: list[list[Package]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for p in packages:
        grouped[depth[p.module.import_name]].append(p)
    return grouped


def narrow(repo: Repo, packages: list[Package], names: list[str]) -> list[Package]:
    """Of the changed `packages` (in dependency order), `names` and the changed ones they import,
    directly or not, in the same order: what one job of a parallel release publishes."""
    by_name = {canonicalize_name(p.name): p for p in packages}
    known = {canonicalize_name(m.name) for m in repo.modules()}
    unknown = [n for n in names if canonicalize_name(n) not in known]
    if unknown:
        hint = did_you_mean(unknown[0], sorted(m.name for m in repo.modules()))
        raise UsageError(f"--package {unknown[0]}: no such module in {repo.root}{hint}")
    graph = dependencies(repo, packages)
    wanted: set[str] = set()
    todo = [
        by_name[canonicalize_name(n)].module.import_name for n in names if canonicalize_name(n) in by_name
    ]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += graph.get(name, set())
    return [p for p in packages if p.module.import_name in wanted]
