"""`release` at a workspace root: every member whose commits call for a release, in dependency order:
build (from the member's folder in a checkout of HEAD with the release's edits) -> check ->
test-install (with the workspace members it requires installed from this same release's wheels) ->
per stage publish -> verify (release/ship.py, as for one project); then one record.

Record (for the members whose every stage verified): one release commit with their versions, their
CHANGELOG.md sections, the requirements moved for them and the root uv.lock in step, a
`{package}-v{version}` tag each, one push. Journaled first (record/journal.py), as a packaging
repository's record is: a run killed anywhere in it is finished by the same command, which builds and
publishes nothing. A failure stops the run after recording what verified; the re-run releases the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from shipyard import events
from shipyard.builder.pep517 import build
from shipyard.builder.reproducible import source_date_epoch
from shipyard.builder.stamp import edited_checkout
from shipyard.dists import Dist, Release, in_folder
from shipyard.errors import BuildError, NothingToRelease, UsageError
from shipyard.index import credentials
from shipyard.index.open import open_index
from shipyard.plan import changelog
from shipyard.plan.guards import guard_branch, guard_clean
from shipyard.plan.memberedits import member_edits, uv_lock
from shipyard.plan.members import MemberPlan, narrow, survey
from shipyard.plan.source import vcs_env
from shipyard.plan.target import current_branch, rules
from shipyard.plan.workspace import Member, Workspace
from shipyard.publish.audit import AuditLog
from shipyard.record import journal, writer
from shipyard.release.finish import finish as finish_journaled
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

if TYPE_CHECKING:
    from shipyard.index.base import Index


@dataclass
class Shipped(ShippedFiles):
    plan: MemberPlan

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def version(self) -> str:
        assert self.plan.version is not None
        return self.plan.version

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "folder": self.plan.member.folder,
            "tag": self.plan.plan.tag,
            "reason": self.plan.plan.reason,
            "pins": [p.said() for p in self.plan.pins],
            **self.files_json(),
        }


class WorkspaceRelease(ManyReleased[Shipped]):
    """A workspace's release: its members, their commit and tags."""


@dataclass
class _Run:
    root: Path
    tree: Path  # the workspace root in the checkout the members are built from
    epoch: int | None
    audit: AuditLog
    versions: dict[str, str]  # member key -> its version after this release (new, else the last)
    wheels: dict[str, Path] = field(default_factory=dict)  # member key -> its wheel, built this run
    shared: bool = False  # members of a level released at once: their stages' tokens burnt between levels
    building: threading.Lock = field(default_factory=threading.Lock)  # an unchanged member's wheel, once


def command(pre: str | None, only: Sequence[str], record: bool = True) -> str:
    """The command a journal is finished by (a --push may be added, or said again)."""
    words = ["shipyard", "release", *(["--pre", pre] if pre else [])]
    words += [w for name in sorted(only) for w in ("--package", name)]
    return " ".join(words + ([] if record else ["--no-record"]))


def to_release(
    ws: Workspace, request: Request, only: Sequence[str] = (), *, refuse_pins: bool = False
) -> tuple[list[MemberPlan], list[MemberPlan]]:
    """Every member's plan, and the members this release ships, in dependency order
    (NothingToRelease when none)."""
    plans = survey(ws, rules(request.config), pre=request.trigger.pre, refuse=refuse_pins)
    chosen = narrow(plans, list(only), ws) if only else [p for p in plans if p.version]
    if not chosen and only:
        raise NothingToRelease(f"nothing to release: no change to {', '.join(only)} calls for a release")
    if not chosen:
        raise NothingToRelease("nothing to release: no member changed in a way that calls for a release")
    return plans, chosen


def release_workspace(
    ws: Workspace,
    request: Request,
    environ: Mapping[str, str],
    emit: events.Emit,
    *,
    only: Sequence[str] = (),
    refuse_pins: bool = False,
    record: bool = True,
) -> WorkspaceRelease:
    """Release the changed members (`only`: those and the changed members they require); `record`
    False publishes and verifies but writes no commit or tag (a CI matrix job's share, recorded
    once afterwards by a run that finds every file published)."""
    emit = serial = Serialized(emit)  # one event, or one member's events, at a time
    procenv.register_credentials(environ)
    config, trigger, dry_run = request.config, request.trigger, request.dry_run
    branch = current_branch(ws.root, environ)
    guard_branch(trigger.if_branch, branch)
    asked = command(trigger.pre, only, record)
    if not dry_run and (pending := journal.load(ws.root)) is not None:
        recorded, finished = finish_journaled(ws.root, pending, config, asked, trigger.push, emit)
        return WorkspaceRelease(recorded=recorded, finished=finished)
    if not trigger.allow_dirty:
        guard_clean(config)
    if record and not dry_run:
        writer.guard_locks(ws.root, [], branch)
    repos = [config.repository(n) for n in config.stages]
    found = credentials.for_stages(repos, ws.root, environ, emit)
    indexes = [open_index(r, c, config.network) for r, c in zip(repos, found, strict=True)]
    plans, chosen = to_release(ws, request, only, refuse_pins=refuse_pins)
    epoch = source_date_epoch(ws.root)
    date = changelog.release_date(epoch)
    edits = {p.member.key: member_edits(p, date, with_changelog=config.changelog is not None) for p in chosen}
    every = {k: v for e in edits.values() for k, v in e.items()}
    every |= uv_lock(ws.root, {p.name: p.version for p in chosen if p.version})
    result = WorkspaceRelease()
    grouped = _levels(chosen)
    shared = workers(config.jobs) > 1 and any(len(level) > 1 for level in grouped)
    events.phase(emit, "members")  # each member's own steps: its `durations`
    with edited_checkout(ws.root, every, "a workspace is released from its commits") as tree:
        run = _Run(ws.root, tree, epoch, AuditLog.at(ws.root, environ), _versions(plans), shared=shared)

        def work(p: MemberPlan, said: events.Emit) -> Shipped:
            return _one(ws, p, indexes, request, run, said)

        def between() -> None:  # a token a level's members share is burnt once none uploads
            for index in indexes if shared else ():
                index.burn(again=True)

        outcome = run_levels(grouped, timed(work), _title, serial, config.jobs, between)
    _outcome(result, chosen, outcome, emit)
    burn_all(indexes)
    done = [r for r in result.released if r.verified]
    if record and not dry_run and done:
        events.phase(emit, "record")
        steps = _steps(ws, request, done, edits, epoch, branch)
        packages = [_journaled(r) for r in done]
        journal.save(ws.root, journal.Journal(steps, {"packages": packages, "command": asked}))
        result.recorded = journal.carry_out(ws.root, steps, emit)
    return result


def _levels(chosen: Sequence[MemberPlan]) -> list[list[MemberPlan]]:
    """`chosen` (in dependency order) in levels: each requires only members of the levels before it,
    so the members of one level are released at the same time."""
    depth: dict[str, int] = {}
    for p in chosen:
        depth[p.member.key] = 1 + max((depth[r] for r in p.member.requires if r in depth), default=-1)
    grouped: list[list[MemberPlan]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for p in chosen:
        grouped[depth[p.member.key]].append(p)
    return grouped


def _title(p: MemberPlan) -> str:
    return f"{p.name} {p.version}: {p.plan.reason}"


def _outcome(
    result: WorkspaceRelease,
    chosen: Sequence[MemberPlan],
    outcome: Outcome[MemberPlan, Shipped],
    emit: events.Emit,
) -> None:
    """What the levels released, in the plan's order; the first failure is the run's error."""
    at = {p.member.key: n for n, p in enumerate(chosen)}
    result.released = sorted((r for _, r in outcome.done), key=lambda r: at[r.plan.member.key])
    failed = sorted(outcome.failed, key=lambda f: at[f[0].member.key])
    if failed:
        result.error = failed[0][1]
        if len(failed) > 1:
            others = ", ".join(f"{p.name} {p.version}" for p, _ in failed[1:])
            result.error = result.error.extended(f"; {others} failed too (said with each member above)")
    if failed and outcome.not_started:
        left = ", ".join(f"{p.name} {p.version}" for p in outcome.not_started)
        events.info(emit, f"not started, left for the re-run: {left}")


def _versions(plans: Sequence[MemberPlan]) -> dict[str, str]:
    """Each member's version once this release is made: its new one, else its last release's, else
    the one it declares (a member required by another but never released)."""
    found = {}
    for p in plans:
        last = str(p.last.version) if p.last else None
        found[p.member.key] = p.version or last or p.member.declared.version or "0.1.0"
    return found


def _folder(base: Path, member: Member) -> Path:
    return base if member.folder == "." else base / member.folder


def _built(member: Member, version: str, run: _Run, request: Request, emit: events.Emit) -> list[Dist]:
    env = vcs_env(member.name, version) if member.declared.from_vcs else {}
    out = run.root / "dist" / member.key
    return build(
        _folder(run.tree, member), out, isolated=request.isolated, emit=emit, epoch=run.epoch, env=env
    )


def _one(
    ws: Workspace, p: MemberPlan, indexes: Sequence[Index], request: Request, run: _Run, emit: events.Emit
) -> Shipped:
    assert p.version is not None
    member = p.member
    if request.dists is not None:  # built once by an earlier job: every stage gets those very files
        dists = _prebuilt(request.dists / member.key, p)
    else:
        dists = _built(member, p.version, run, request, emit)
    made = Release.of(dists)
    if Version(made.version) != Version(p.version):
        raise BuildError(
            f"{member.folder} built {made.name} {made.version}, but this release is {p.name} {p.version}: "
            f"shipyard could not set the version ({member.declared.source})"
        )
    local = _requirements(ws, member, run, request, emit) if request.config.test_install else []
    run.wheels[member.key] = next(d.path for d in dists if d.kind == "wheel")
    tests = Tests(member.path, local_wheels=local, siblings=member.requires)
    books = Bookkeeping.of(run.root, made, run.audit)
    shipped = ship(made, Stages(indexes, again=True, shared=run.shared), request, tests, books, emit)
    return Shipped(p, dists=dists, test_install=shipped.test_install, stages=shipped.stages)


def _requirements(
    ws: Workspace, member: Member, run: _Run, request: Request, emit: events.Emit
) -> list[Path]:
    """The wheels of the members `member` requires: this release's, else built from HEAD at the
    version they declare (released before, unchanged since), so the test-install needs no index."""
    by_key = {m.key: m for m in ws.members}
    found = []
    for name in member.requires:
        with run.building:  # two members of a level may need one unchanged member's wheel
            if name not in run.wheels:
                dists = _built(by_key[name], run.versions[name], run, request, emit)
                run.wheels[name] = next(d.path for d in dists if d.kind == "wheel")
        found.append(run.wheels[name])
    return found


def _prebuilt(folder: Path, p: MemberPlan) -> list[Dist]:
    """`release --dists DIR`: the files an earlier job built into DIR/<member>/."""
    if not folder.is_dir():
        raise UsageError(
            f"--dists {folder.parent} has no {folder.name}/ folder: {p.name} {p.version} was not built there"
        )
    dists = in_folder(folder)
    made = Release.of(dists)
    if made.name != p.member.key or Version(made.version) != Version(p.version or "0"):
        raise UsageError(
            f"--dists {folder} holds {made.name} {made.version}, but this release is {p.name} {p.version}"
        )
    return dists


def _steps(
    ws: Workspace,
    request: Request,
    done: list[Shipped],
    edits: Mapping[str, Mapping[str, bytes]],
    epoch: int | None,
    branch: str | None,
) -> writer.Steps:
    """One commit with what the verified members' releases write, a tag each; journaled by the caller."""
    config = request.config
    files = {k: v for r in done for k, v in edits[r.plan.member.key].items()}
    files |= uv_lock(ws.root, {r.name: r.version for r in done})
    names = ", ".join(f"{r.name} {r.version}" for r in done)
    commit = writer.Commit(f"chore(release): {names}", files, epoch) if files else None
    tags = tuple(writer.Tag(r.plan.plan.tag, _message(r)) for r in done if r.plan.plan.tag)
    writer.guard_locks(ws.root, [t.name for t in tags], branch)
    what = writer.Record(commit, tags, branch)
    return writer.steps_of(ws.root, what, push=request.trigger.push, remote=config.remote)


def _message(r: Shipped) -> str:
    lines = [f"{r.name} {r.version}", ""]
    for heading, notes in r.plan.plan.notes().items():
        lines += [f"{heading}:", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines).strip()


def _journaled(r: Shipped) -> dict[str, object]:
    stages = tuple(s.repository for s in r.stages)
    return journal.Journaled(r.name, r.version, r.plan.plan.tag, tuple(r.dists), stages).as_json()
