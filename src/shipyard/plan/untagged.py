"""The last release of a project that has no tag yet (one coming from twine or python-semantic-
release): the highest version the first stage serves, else (with `--bump RULE`) the version the
project declares. `--bump RULE` moves that version; `--bump` alone moves it by the commits, and
when no commit calls for a release, one line names the `git tag` that marks the last one.
"""

from __future__ import annotations

from dataclasses import replace

from packaging.version import InvalidVersion, Version

from shipyard.errors import NothingToRelease
from shipyard.plan.nextrelease import Plan, Rules
from shipyard.plan.versions import Bump, bumped, pre_release


def _declared(plan: Plan) -> Version | None:
    try:
        return Version(plan.declared) if plan.declared else None
    except InvalidVersion:
        return None


def _base(plan: Plan, force: Bump | None, served: Version | None, stage: str) -> tuple[Version, str] | None:
    """The version the release moves from and where it comes from; None: the declared version is
    the first release (nothing served, or, with no rule given, a declared version other than what
    is served: set by hand above it, or below it on a maintenance line, which release refuses
    unless --allow-lower, as plan says)."""
    declared = _declared(plan)
    if served is not None and not (force is None and declared is not None and declared != served):
        return served, f"the highest version {stage} serves, with no tag for it"
    if force is not None and declared is not None:
        return declared, "the version the project declares, with no tag for it"
    return None


def decide(
    plan: Plan, rules: Rules, *, force: Bump | None, pre: str | None, served: Version | None, stage: str
) -> Plan:
    """`plan` (of a project with no matching tag) decided from its untagged last release."""
    found = _base(plan, force, served, stage)
    if plan.last is not None or found is None:
        return plan
    base, where = found
    bump = force or max((c.bump for c in plan.changes), default=Bump.NONE)
    if bump is Bump.NONE:
        tag = rules.pattern.format(base, plan.name)
        raise NothingToRelease(
            f"nothing to release: {base} is {where} and no commit calls for a release: mark the commit "
            f"{base} was released from with `git tag {tag} COMMIT`, or pass --bump patch|minor|major"
        )
    target = bumped(base, bump, major_on_zero=rules.major_on_zero)
    if pre:
        target = pre_release(target, pre, [])
    how = "asked for on the command line" if force else "from the commits"
    return replace(
        plan,
        bump=bump,
        next_version=target,
        tag=rules.pattern.format(target, plan.name),
        reason=f"{bump.label} bump {how}, from {base} ({where})",
    )
