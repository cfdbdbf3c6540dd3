"""What the next release of a package is, and why: tags + commit messages -> a Plan.

The last release is the highest version among the package's tags reachable from HEAD (so a
maintenance branch sees its own line). The bump is decided by the commits since the last *final*
release, so 1.3.0rc2 is followed by 1.3.0, and a breaking change after rc1 moves the target to 2.0.0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from packaging.version import InvalidVersion, Version

from shipyard.plan.changelog import SECTION_ORDER
from shipyard.plan.commits import Change, Commit, changes
from shipyard.plan.guards import shallow_guard
from shipyard.plan.history import History
from shipyard.plan.versions import Bump, Tagged, TagPattern, bumped, pre_release, released
from shipyard.secrets import redact

# Keep a Changelog headings for the kinds of change that make a release
SECTIONS = {"breaking": "Changed", "feat": "Added", "fix": "Fixed", "perf": "Changed", "note": "Changed"}


@dataclass(frozen=True)
class Rules:
    """How versions are found and moved (from the config)."""

    pattern: TagPattern
    parser: str = "both"
    major_on_zero: bool = False


@dataclass(frozen=True)
class Subject:
    """What a plan is for: the package's name, the version it declares, its files (relative to the
    history's root)."""

    name: str
    declared: str | None
    paths: tuple[str, ...] = (".",)


@dataclass(frozen=True)
class Plan:
    name: str
    declared: str | None
    last: Tagged | None  # the last release, pre-releases included
    commits: int  # since the last release
    changes: tuple[Change, ...] = ()  # since the last final release, newest first
    bump: Bump = Bump.NONE
    next_version: Version | None = None  # None: nothing to release
    reason: str = ""
    decided_by: Change | None = None
    tag: str | None = None

    def notes(self) -> dict[str, list[str]]:
        """Release notes by Keep a Changelog heading, oldest change first. Redacted: they go into the
        changelog, the release commit and the tag, where a token pasted into a commit must not land."""
        sections: dict[str, list[str]] = {}
        for change in reversed(self.changes):
            heading = SECTIONS.get(change.kind)
            if heading is None:
                continue
            prefix = "**Breaking:** " if change.kind == "breaking" else ""
            sections.setdefault(heading, []).extend(prefix + redact(note) for note in change.notes[:1])
            sections[heading].extend(redact(note) for note in change.notes[1:])
        order = [h for h in SECTION_ORDER if h in sections]
        return {h: sections[h] for h in order}

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "declared_version": self.declared,
            "last_tag": self.last.tag if self.last else None,
            "last_version": str(self.last.version) if self.last else None,
            "commits_since": self.commits,
            "next_version": str(self.next_version) if self.next_version else None,
            "tag": self.tag,
            "bump": self.bump.label,
            "reason": self.reason,
            "decided_by": self.decided_by.commit.sha if self.decided_by else None,
            "changes": [c.as_json() for c in self.changes],
            "notes": self.notes(),
        }


def make_plan(
    history: History,
    subject: Subject,
    rules: Rules,
    *,
    pre: str | None = None,
    force: Bump | None = None,
    at_least: Bump = Bump.NONE,
) -> Plan:
    """The next release of `subject`, from the tags and commits of `history`.

    `at_least`: the bump when no message asks for one (a packaging repository releases a package
    whose files changed, as a patch by default).
    """
    name, paths = subject.name, subject.paths
    tags = released(list(history.tags), rules.pattern, name)
    shallow_guard(history, tags)
    last = tags[-1] if tags else None
    finals = [t for t in tags if not t.version.is_prerelease]
    last_final = finals[-1] if finals else None
    entries = history.log(last_final.commit if last_final else None, paths)
    since_last = entries
    if last is not None and last is not last_final:
        since_last = history.log(last.commit, paths)
    commits = [Commit(e.sha, e.subject, e.body) for e in entries]
    found = changes(commits, name, rules.parser, strict=force is None)
    if at_least is not Bump.NONE and since_last:
        found.append(Change(Commit(since_last[-1].sha, "(files changed)"), at_least, "changed", ()))
    facts = Plan(name, subject.declared, last, len(since_last), tuple(found))
    decided = _decide(facts, rules, [t.version for t in tags], last_final, pre, force)
    tag = rules.pattern.format(decided.next_version, name) if decided.next_version is not None else None
    return replace(decided, tag=tag)


def _declared_ahead(declared: str | None, target: Version, last: Version) -> bool:
    """Whether the project declares a final version above both the last release and the bump's."""
    try:
        version = Version(declared) if declared else None
    except InvalidVersion:
        return False
    return version is not None and not version.is_prerelease and version > max(target, last)


def _decide(
    plan: Plan,
    rules: Rules,
    versions: list[Version],
    last_final: Tagged | None,
    pre: str | None,
    force: Bump | None,
) -> Plan:
    """`plan` (what the history says) with its decision: the next version, the bump, and why."""
    last = plan.last
    if last is None:
        first = Version(plan.declared) if plan.declared else Version("0.1.0")
        reason = f"first release: the version the project declares ({first})"
        if not plan.declared:  # dynamic: the backend decides a plain release's version
            reason = (
                f"first release: no tag yet and no version declared (it is dynamic): release --bump "
                f"releases {first}, a plain release the version the build backend computes"
            )
        return replace(plan, next_version=pre_release(first, pre, versions) if pre else first, reason=reason)
    if plan.commits == 0 and not (last.version.is_prerelease and not pre and force is None):
        return replace(plan, reason=f"no commits since {last.tag}")
    exact = next((c for c in plan.changes if c.exact is not None), None)
    if exact is not None and force is None:
        assert exact.exact is not None
        reason = f'exact version from "{exact.commit.subject}" ({exact.commit.short})'
        return replace(plan, next_version=exact.exact, decided_by=exact, reason=reason)
    bump = force or max((c.bump for c in plan.changes), default=Bump.NONE)
    base = last_final.version if last_final else Version(last.version.base_version)
    target = bumped(base, bump, major_on_zero=rules.major_on_zero) if last_final else base
    if force is None and not pre and _declared_ahead(plan.declared, target, last.version):
        # the maintainer set the next version by hand: never write a lower one over it
        assert plan.declared is not None
        reason = f"the version the project declares ({plan.declared}), set by hand above {target}"
        return replace(plan, bump=bump, next_version=Version(plan.declared), reason=reason)
    if bump is Bump.NONE and not (last.version.is_prerelease and target.release == last.version.release):
        reason = (
            f"{plan.commits} commit{'s' if plan.commits != 1 else ''} since {last.tag}, none that "
            "triggers a release (a fix, a feature or a breaking change)"
            if plan.commits
            else f"no commits since {last.tag}"
        )
        return replace(plan, reason=reason)
    decided = replace(plan, bump=bump, next_version=pre_release(target, pre, versions) if pre else target)
    if force is not None:
        return replace(decided, reason=f"{force.label} bump asked for on the command line")
    if bump is Bump.NONE:
        return replace(decided, reason=f"finishes the {target} pre-releases")
    by = next(c for c in plan.changes if c.bump == bump)
    reason = f'{bump.label} bump from "{by.commit.subject}" ({by.commit.short})'
    return replace(decided, decided_by=by, reason=reason)
