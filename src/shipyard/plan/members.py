"""Each workspace member's last release and next version, and the requirement pins a release moves.

A member's releases are its `{package}-v{version}` tags (the `tag` option). Its commits are those that
touch its folder (the root member's: everything outside the other members); a commit that touches
several members and names some of them in its Conventional Commits scope (`feat(alpha): ...`) counts
only for the members it names. Conventional Commits decide each member's bump, as for a single
project, so a commit that touches no member (the root README) releases nothing.

When a member's new version falls outside the range another member requires of it (`alpha>=1,<2`
and alpha becomes 2.0.0), the dependent is released too, with its requirement moved to the new
version (`alpha>=2.0.0,<3`), in the same release commit; `refuse` stops the plan instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from shipyard.errors import UsageError
from shipyard.plan.commits import Change, Commit
from shipyard.plan.history import History
from shipyard.plan.nextrelease import Plan, Rules, Subject, make_plan
from shipyard.plan.versions import Bump, Tagged, bumped, pre_release, released_by_package
from shipyard.plan.workspace import Member, Need, Workspace
from shipyard.tools import git

_SCOPE = re.compile(r"^[A-Za-z]+\((?P<scope>[^()\r\n]+)\)!?:")


@dataclass(frozen=True)
class Pin:
    """A requirement of the member on another one, moved to allow the other's new version."""

    on: str  # the member required
    old: str
    new: str
    version: str  # the required member's new version
    poetry: bool = False

    def said(self) -> str:
        return (
            f"requires {self.on}{self.new} (was {self.on}{self.old or ' any'}) for {self.on} {self.version}"
        )


@dataclass
class MemberPlan:
    member: Member
    tags: list[Tagged]  # its releases, oldest first
    plan: Plan
    pins: list[Pin] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.member.name

    @property
    def last(self) -> Tagged | None:
        return self.tags[-1] if self.tags else None

    @property
    def version(self) -> str | None:
        """The version to release, or None when the member did not change."""
        return str(self.plan.next_version) if self.plan.next_version is not None else None

    def as_json(self) -> dict[str, object]:
        return {
            **self.member.as_json(),
            "last_tag": self.last.tag if self.last else None,
            "last_version": str(self.last.version) if self.last else None,
            "commits_since": self.plan.commits,
            "next_version": self.version,
            "tag": self.plan.tag,
            "pins": [{"on": p.on, "old": p.old, "new": p.new, "version": p.version} for p in self.pins],
            "plan": self.plan.as_json(),
        }


@dataclass(frozen=True)
class Scoped(History):
    """The history of one member: the commits that touch its paths, less those another member's
    scope claims (`feat(beta): ...` touching alpha and beta counts for beta only)."""

    own: str = ""
    scopes: tuple[tuple[str, str, str], ...] = ()  # (scope word, member key, member folder)

    def log(self, since: str | None, paths: Sequence[str]) -> list[git.LogEntry]:
        return [e for e in super().log(since, paths) if self._ours(e)]

    def _ours(self, entry: git.LogEntry) -> bool:
        found = _SCOPE.match(entry.subject.strip())
        if found is None:
            return True
        words = {canonicalize_name(w.strip()) for w in found["scope"].split(",")}
        named = {(key, folder) for word, key, folder in self.scopes if word in words}
        if not named or any(key == self.own for key, _ in named):
            return True
        files = git.commit_files(self.root, entry.sha)
        return not any(f == d or f.startswith(d.rstrip("/") + "/") for _, d in named for f in files)


def _scopes(ws: Workspace) -> tuple[tuple[str, str, str], ...]:
    """The words a scope may name a member by: its name, and its folder's last part."""
    top = git.toplevel(ws.root)
    base = ws.root.resolve().relative_to(top.resolve()).as_posix() if top else "."
    found = []
    for m in ws.members:
        folder = m.folder if base == "." else f"{base}/{m.folder}"
        for word in {m.key, canonicalize_name(m.path.name)}:
            found.append((word, m.key, folder))
    return tuple(found)


def _paths(ws: Workspace, member: Member) -> tuple[str, ...]:
    if member.folder != ".":
        return (member.folder,)
    return (".", *(f":(exclude){m.folder}" for m in ws.members if m.folder != "."))


def survey(ws: Workspace, rules: Rules, *, pre: str | None = None, refuse: bool = False) -> list[MemberPlan]:
    """Every member, in dependency order, with its plan (and the pins its release moves)."""
    if git.head(ws.root) is None:
        raise UsageError(f"{ws.root} is not a git repository with a commit: members are released from tags")
    if not rules.pattern.has_package and len(ws.members) > 1:
        raise UsageError(
            f"tag = {rules.pattern.pattern!r} names no {{package}}: the members of a workspace need "
            'tags of their own, such as tag = "{package}-v{version}"'
        )
    history = History.read(ws.root)
    by_key = released_by_package(history.tags, rules.pattern, [m.name for m in ws.members])
    if rules.pattern.has_package:
        tagged = {m.key: by_key.get(m.key, []) for m in ws.members}
    else:  # one member: its tags are the project's
        tagged = {m.key: [t for ts in by_key.values() for t in ts] for m in ws.members}
    if not history.tags or any(not t for t in tagged.values()):
        history = history.checked()
    top = git.toplevel(ws.root)
    if top is not None and sum(not t for t in tagged.values()) > 1:  # one log for every new member
        history = history.batched(top)
    scopes = _scopes(ws)
    plans = []
    for m in ws.members:
        tags = tagged[m.key]
        scoped = Scoped(
            history.root, tuple((t.tag, t.commit) for t in tags), history.shallow, None, m.key, scopes
        )
        plan = make_plan(scoped, Subject(m.name, m.declared.version, _paths(ws, m)), rules, pre=pre)
        plans.append(MemberPlan(m, tags, plan))
    _pin(plans, rules, pre, refuse=refuse)
    return plans


def _allows(need: Need, version: Version) -> bool:
    try:
        return SpecifierSet(_pep440(need)).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True  # a range shipyard cannot read is the build's to refuse, not ours to rewrite


def _pep440(need: Need) -> str:
    """A Poetry range (`^1.2`, `~1.2`) as PEP 440; PEP 440 as it is."""
    spec = need.spec.strip()
    if not need.poetry or not spec or spec[0] not in "^~" or spec.startswith("~="):
        return spec
    base = Version(spec[1:])
    parts = [*base.release, 0, 0][:3]
    if spec[0] == "^":
        first = next((i for i, p in enumerate(parts) if p), 2)
        upper = [*parts[:first], parts[first] + 1] + [0] * (2 - first)
    else:
        upper = [parts[0], parts[1] + 1, 0] if len(base.release) > 1 else [parts[0] + 1, 0, 0]
    return f">={base},<{'.'.join(map(str, upper))}"


def widened(need: Need, version: Version) -> str:
    """`need`'s range moved to allow `version`: an upper bound kept as the next major (minor under 1.0)."""
    if need.poetry:
        return f"^{version}"
    bounded = any(s.operator in ("<", "<=", "~=", "==", "===") for s in SpecifierSet(need.spec))
    if not bounded:
        return f">={version}"
    major, minor = (*version.release, 0)[:2]
    upper = f"{major + 1}" if major else f"0.{minor + 1}"
    return f">={version},<{upper}"


def _pin(plans: list[MemberPlan], rules: Rules, pre: str | None, *, refuse: bool) -> None:
    """Dependents whose range the new versions leave: bumped, their requirements moved (in
    dependency order, so a dependent bumped so breaks its own dependents' ranges in turn); then
    the ranges of extras (which may point back up the order), once, without going further."""
    by_key = {p.member.key: p for p in plans}
    for extras in (False, True):
        for p in plans:
            found = [_broken(p, by_key[n.name], n, refuse) for n in p.member.needs if n.extra is extras]
            pins = [pin for pin in found if pin is not None]
            if pins:
                p.pins += pins
                p.plan = _bumped_for_pins(p, pins, rules, pre)


def _broken(p: MemberPlan, dep: MemberPlan, need: Need, refuse: bool) -> Pin | None:
    """The pin that moves `need` when `dep`'s new version falls outside it (refused with `refuse`)."""
    if dep.version is None or not need.spec or _allows(need, Version(dep.version)):
        return None
    if refuse:
        raise UsageError(
            f"{dep.name} {dep.version} falls outside {p.name}'s requirement {dep.name}{need.spec} "
            f"({p.member.folder}/pyproject.toml): widen it, or let release move it (drop --refuse-pin-bumps)"
        )
    return Pin(dep.name, need.spec, widened(need, Version(dep.version)), dep.version, need.poetry)


def _bumped_for_pins(p: MemberPlan, pins: list[Pin], rules: Rules, pre: str | None) -> Plan:
    plan = p.plan
    notes = tuple(pin.said() for pin in pins)
    change = Change(Commit("", f"requirements of {p.name} moved"), Bump.PATCH, "fix", notes)
    changes = (change, *plan.changes)
    said = "; ".join(notes)
    if plan.next_version is not None:
        return replace(plan, changes=changes, reason=f"{plan.reason}; and {said}")
    assert p.last is not None  # a member never released has a first-release plan already
    target = bumped(Version(p.last.version.base_version), Bump.PATCH, major_on_zero=rules.major_on_zero)
    if p.last.version.is_prerelease:
        target = Version(p.last.version.base_version)
    version = pre_release(target, pre, [t.version for t in p.tags]) if pre else target
    return replace(
        plan,
        changes=changes,
        bump=Bump.PATCH,
        next_version=version,
        tag=rules.pattern.format(version, p.name),
        reason=f"patch bump: it {said}",
    )


def narrow(plans: list[MemberPlan], names: list[str], ws: Workspace) -> list[MemberPlan]:
    """`--package`: the named members, the changed members they require (directly or not), and the
    members whose requirements their releases move."""
    for name in names:
        ws.member(name)  # an unknown name is refused
    by_key: Mapping[str, MemberPlan] = {p.member.key: p for p in plans}
    wanted: set[str] = set()
    todo: list[str] = [canonicalize_name(n) for n in names]
    while todo:
        key = todo.pop()
        if key not in wanted:
            wanted.add(key)
            todo += by_key[key].member.requires
    moved = True
    while moved:  # a member whose requirement a wanted member's release moves is released with it
        pinned = {p.member.key for p in plans if any(canonicalize_name(pin.on) in wanted for pin in p.pins)}
        moved = bool(pinned - wanted)
        wanted |= pinned
    return [p for p in plans if p.member.key in wanted and p.version]
