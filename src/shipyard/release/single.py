"""The release: build -> check -> test-install -> for each stage: publish -> verify.

Stops at the first failure. Nothing reaches a stage unless the stage before it verified. A release
is built once: a re-run or a resume on the same source reuses the kept artifacts (builder/kept.py),
the index is read first and the state file remembers verified stages, so it does only what is left;
one already verified everywhere is answered from one listing read per stage (release/rerun.py).
`--dists DIR` releases files built elsewhere instead of building.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from shipyard import events
from shipyard.builder import kept, repair
from shipyard.builder.pep517 import build
from shipyard.builder.stamp import stamped
from shipyard.config import Config
from shipyard.dists import Dist, Release, in_folder
from shipyard.errors import BuildError, ShipyardError, UsageError
from shipyard.index import credentials
from shipyard.index.base import release_page
from shipyard.index.open import open_index
from shipyard.plan.source import Declared
from shipyard.plan.target import Mode, Target, Trigger, resolve
from shipyard.publish.audit import AuditLog
from shipyard.publish.lower import highest_served, read_stages, refuse_lower
from shipyard.publish.state import ReleaseState
from shipyard.record import forge, journal, writer
from shipyard.release.rerun import already_released, verified_at_head
from shipyard.release.ship import Bookkeeping, Request, StageResult, Stages, TestedBefore, Tests, ship
from shipyard.tools import git, procenv, workdirs

if TYPE_CHECKING:
    from shipyard.check.testinstall import TestInstall
    from shipyard.errors import IndexError_
    from shipyard.index.base import Index
    from shipyard.index.listing import Listing


@dataclass(frozen=True)
class ReleaseResult:
    release: Release
    target: Target
    edits: Mapping[str, bytes]  # the files the build saw updated: the target's, with uv.lock refreshed
    test_install: TestInstall | TestedBefore | None = None
    stages: tuple[StageResult, ...] = ()
    recorded: writer.Recorded | None = None
    forge_releases: tuple[forge.ForgeRelease, ...] = ()  # GitHub's or GitLab's

    @property
    def name(self) -> str:
        return self.release.name

    @property
    def version(self) -> str:
        return self.release.version

    def as_json(self) -> dict[str, object]:
        recorded = self.recorded
        return {
            "name": self.name,
            "version": self.version,
            "target": {**self.target.as_json(), "files": sorted(self.edits)},
            "dists": [d.as_json() for d in self.release.dists],
            "test_install": self.test_install.as_json() if self.test_install else None,
            "stages": [s.as_json() for s in self.stages],
            "recorded": (
                {"commit": recorded.commit, "tag": self.target.tag, "pushed": recorded.pushed}
                if recorded
                else None
            ),
            "forge_releases": [f.as_json() for f in self.forge_releases],
        }

    def page(self, config: Config) -> str | None:
        """Where people can see this release: its page on the last stage (None before any stage)."""
        if not self.stages:
            return None
        return release_page(config.repository(self.stages[-1].repository), self.name, self.version)


def _build(
    request: Request, target: Target, emit: events.Emit, *, public: bool
) -> tuple[list[Dist], Mapping[str, bytes], str, str | None]:
    """The artifacts kept for this source if there are any (no rebuild), else a new build; the
    source's key, under which the new build is kept once its first file is about to be uploaded
    (from then on a rebuild could conflict with the index; before, it is free); and the release
    commit of a --bump (the same commit again for kept artifacts: same tree, parent, date)."""
    declared, config = target.declared, request.config
    pinned = declared.from_vcs and target.version is not None  # handed to the backend (target.env)
    source = kept.Source(
        config.root, target.edits, target.env, target.epoch, request.isolated, declared.from_vcs, pinned
    )
    key = source.key()
    if (found := kept.load(config.root, key, config.dist_dir)) is not None:
        events.info(emit, f"reusing the files built from this source before (kept as {key}): no rebuild")
        dists, edits = found
        sha = (
            git.commit_tree(config.root, edits, _message(target), epoch=target.epoch)
            if _commits(target)
            else None
        )
        return dists, edits, key, sha
    dists, made, sha = _build_new(request, target, emit, public=public)
    return dists, made, key, sha


def _commits(target: Target) -> bool:
    """A --bump makes a release commit when it writes anything (a version, a changelog)."""
    return target.commit and bool(target.edits)


def _build_new(
    request: Request, target: Target, emit: events.Emit, *, public: bool
) -> tuple[list[Dist], Mapping[str, bytes], str | None]:
    """Build in place, or from a temporary checkout of HEAD with the edits (for a --bump: of the
    release commit, made first); returns the files, the edits the build saw (with uv.lock when it
    was refreshed) and the release commit. For a public stage, linux_* wheels are repaired when the
    tools are installed (else check says how)."""

    config = request.config

    def build_from(srcdir: Path) -> list[Dist]:
        isolated, epoch, env = request.isolated, target.epoch, target.env
        dists = build(srcdir, config.dist_dir, isolated=isolated, emit=emit, epoch=epoch, env=env)
        if public and repair.tools_installed():
            dists = repair.repair(dists, config.dist_dir, emit=emit)
        return dists

    if not target.edits:
        return build_from(config.root), target.edits, None
    commit = (_message(target), target.epoch) if _commits(target) else None
    with stamped(config.root, target.edits, commit, (target.name, target.version), emit) as tree:
        what = f"the release commit {tree.commit[:12]}" if tree.commit else "a checkout of HEAD"
        events.info(
            emit, f"building {target.version} from {what}, with {', '.join(sorted(tree.made))} updated"
        )
        return build_from(tree.path), tree.made, tree.commit


def _prebuilt(folder: Path, target: Target) -> Release:
    """The files of `release --dists`: one release of the project this release is about."""
    release = Release.of(in_folder(folder))
    if target.name is not None and canonicalize_name(target.name) != release.name:
        raise UsageError(f"--dists {folder} holds files of {release.name}, but this project is {target.name}")
    # a matrix's folder holds wheels for many platforms: the test-install takes one that installs here
    from packaging.tags import sys_tags  # platform's probing, only for a folder of built files

    supported = set(sys_tags())
    ordered = sorted(
        release.dists, key=lambda d: d.kind != "wheel" or not supported & parse_wheel_filename(d.filename)[3]
    )
    return dataclasses.replace(release, dists=tuple(ordered))


def _notes(target: Target) -> str:
    """The release notes for the commit and the tag messages."""
    if target.plan is None:
        return ""
    lines = []
    for heading, notes in target.plan.notes().items():
        lines += [f"{heading}:", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines).strip()


def _same_version(request: Request, target: Target, release: Release) -> None:
    """The files are of the version this release is about."""
    if target.version is None or Version(release.version) == Version(target.version):
        return
    if request.dists is not None:
        raise UsageError(f"--dists {request.dists} holds {release}, but this release is {target.version}")
    raise BuildError(
        f"the backend built version {release.version}, but this release is {target.version}: "
        f"shipyard could not set the version ({target.declared.source})"
    )


def _message(target: Target) -> str:
    """The release commit's message (the tag's, without the first word)."""
    return f"chore(release): {target.name} {target.version}\n\n{_notes(target)}".strip()


def _steps_of(
    config: Config, target: Target, head: str, edits: Mapping[str, bytes], sha: str | None, push: bool
) -> writer.Steps:
    """The release commit (made already, on `head`, and built from), the tag if it is new (on the
    commit, else on `head`), and the push."""
    message = f"{target.name} {target.version}\n\n{_notes(target)}".strip()
    tags = (writer.Tag(target.tag, message),) if target.create_tag and target.tag else ()
    files = tuple(sorted(edits)) if sha else ()
    return writer.Steps(head, sha, files, tags, target.branch, push, config.remote)


def release(request: Request, environ: Mapping[str, str], emit: events.Emit = events.ignore) -> ReleaseResult:
    config, trigger = request.config, request.trigger
    if request.dists is not None and trigger.bump is not None:
        raise UsageError(
            "--dists releases files built elsewhere, with their version in them: use it with --tag or "
            "the declared version, not --bump"
        )
    # the forge's token and every other credential by name, before any text is made (issue 21)
    procenv.register_credentials(environ)
    if not request.dry_run and (pending := journal.load(config.root)) is not None:
        return _finish(request, pending, emit)
    repos = [config.repository(name) for name in config.stages]
    # every credential, then the version, are settled before anything is built: a refusal costs
    # nothing; and the credentials first, so the redactor knows them before any notes are written
    found = credentials.for_stages(repos, config.root, environ, emit)
    indexes = [open_index(r, c, config.network) for r, c in zip(repos, found, strict=True)]
    highest = functools.partial(_highest_served, indexes[0]) if indexes else None  # a project's first tag
    target = resolve(config, trigger, environ, highest)
    head = git.head(config.root) or ""  # what the release commit is made on, and a tag without one
    _announce(config, target, emit)
    records = not request.dry_run and (target.commit or target.create_tag)
    if records:  # a lock a killed git left would stop the record after the publish: refuse it now
        writer.guard_locks(config.root, [target.tag] if target.tag else [], target.branch)
    served = _read_before_the_build(config, target, indexes, emit)
    keep: Callable[[], None] | None = None
    sha: str | None = None
    state: ReleaseState | None = None
    events.phase(emit, "build")
    if request.dists is not None:
        made, edits = _prebuilt(request.dists, target), target.edits
    elif (verified := verified_at_head(config, target, emit)) is not None:
        (made, state), edits = verified, target.edits  # a re-run at the release's tag: no build
    else:
        dists, edits, key, sha = _build(request, target, emit, public=any(r.public for r in repos))
        made = Release.of(dists)
        keep = functools.partial(kept.keep, config.root, key, dists, edits)
    _same_version(request, target, made)
    audit = AuditLog.at(config.root, environ)
    books = Bookkeeping(state, audit, keep) if state else Bookkeeping.of(config.root, made, audit, keep)
    known = served if target.name is not None and canonicalize_name(target.name) == made.name else {}
    stages = Stages(indexes, known)
    events.phase(emit, "already-released")  # one listing read per stage: is there anything to do?
    if (done := already_released(made, stages, request, books, emit)) is not None:
        result = ReleaseResult(made, target, edits, stages=tuple(done))
    else:
        shipped = ship(made, stages, request, Tests(config.root), books, emit)
        result = ReleaseResult(made, target, edits, shipped.test_install, tuple(shipped.stages))
    events.phase(emit, "record")
    if records:
        # the journal first: from here on a re-run finishes this record, whatever point it died at
        steps = _steps_of(config, target, head, edits, sha, trigger.push)
        journal.save(config.root, journal.Journal(steps, _journaled(result, trigger)))
        result = dataclasses.replace(result, recorded=journal.carry_out(config.root, steps, emit))
    if not request.dry_run and config.forge_release and target.tag:
        result = dataclasses.replace(result, forge_releases=_forge_release(result, config, environ, emit))
    _warn_unignored_state(config.root, emit)
    return result


def _warn_unignored_state(root: Path, emit: events.Emit) -> None:
    if workdirs.unignored_state(root):
        events.warning(
            emit,
            f"add {workdirs.STATE}/ to .gitignore: shipyard keeps its state and local index there, "
            "and backends such as hatchling would pack it into the next sdist (which check then refuses)",
        )


def _read_before_the_build(
    config: Config, target: Target, indexes: Sequence[Index], emit: events.Emit
) -> dict[str, Listing | IndexError_]:
    """What every stage serves, read once before anything is built: an archived or quarantined
    project (PEP 792) and a version lower than a stage serves are refused now, not after the build
    and the tests (the lower version only when the version is known before the build)."""
    if not target.name:
        return {}
    served = read_stages(target.name, indexes, emit)
    if target.version and not config.allow_lower:  # with allow-lower, ship says it once
        refuse_lower(target.name, target.version, indexes, allow=False, emit=emit, known=served)
    return served


def _forge_release(
    result: ReleaseResult, config: Config, environ: Mapping[str, str], emit: events.Emit
) -> tuple[forge.ForgeRelease, ...]:
    """The forge's release of the tag, with the notes and where the release can be seen."""
    target = result.target
    assert target.tag is not None
    pushed = result.recorded is not None and result.recorded.pushed
    notes = target.plan.notes() if target.plan is not None else {}
    tagged = forge.Tagged(target.tag, result.name, result.version, forge.body(notes, result.page(config)))
    on_remote = pushed or not target.create_tag  # a tag made now reaches the forge only pushed
    made = forge.make_releases(
        [tagged], environ, emit, on_remote=on_remote, budget=config.network.retry_timeout
    )
    return tuple(made)


def _announce(config: Config, target: Target, emit: events.Emit) -> None:
    """Why this version, and a changelog the release creates."""
    if target.plan is not None:
        events.info(emit, f"{target.name} {target.version}: {target.plan.reason}")
    if (created := new_changelog(config, target)) is not None:
        events.info(emit, f"creating {created} (the project has none; changelog = false keeps it out)")


def _highest_served(index: Index, name: str) -> Version | None:
    """What the first stage serves (a project's last release before its first tag); None when it
    cannot be read (publish refuses to upload blind later)."""
    try:
        return highest_served(index, name)
    except ShipyardError:
        return None


def new_changelog(config: Config, target: Target) -> str | None:
    """The changelog a --bump creates (its path in the project), None when it exists or is off."""
    path = config.changelog
    if target.mode != "bump" or path is None or path.exists():
        return None
    return str(path.relative_to(config.root))


def _journaled(result: ReleaseResult, trigger: Trigger) -> dict[str, object]:
    """What the journal says about the release: enough to report it again, and the command."""
    target = result.target
    stages = tuple(s.repository for s in result.stages)
    said = journal.Journaled(
        result.name, result.version, target.tag, result.release.dists, stages, target.mode
    )
    return {**said.as_json(), "command": _command(trigger)}


def _command(trigger: Trigger) -> str:
    """The command as a journal says it, as asked now."""
    words = ["shipyard", "release"]
    for flag, value in (("tag", trigger.tag), ("bump", trigger.bump), ("pre", trigger.pre)):
        if value is not None:
            words += [f"--{flag}", str(value)] if value else [f"--{flag}"]
    return " ".join(words)


def _finish(request: Request, pending: journal.Journal, emit: events.Emit) -> ReleaseResult:
    """Finish the record an earlier run journaled (its release is published and verified): the
    commit, the tag and the push, each unless done. Nothing is built or published."""
    config, trigger = request.config, request.trigger
    (said,) = pending.releases[:1] or [journal.Journaled("?", "?")]
    what = f"{said.name} {said.version}"
    journal.check_command(config.root, what, pending.command or "shipyard release", _command(trigger))
    journal.validate(config.root, pending, remote=config.remote, stages=config.stages)
    events.info(emit, f"{what} was published and verified by a run that stopped: finishing its record")
    steps = dataclasses.replace(pending.steps, push=pending.steps.push or trigger.push)
    journal.check_head(config.root, what, steps)
    mode: Mode = "bump" if said.mode == "bump" else "tag" if said.mode == "tag" else "project"
    target = Target(
        said.name,
        said.version,
        mode,
        Declared(said.version, "the journal of the run that released it"),
        None,
        steps.branch,
        said.tag,
        create_tag=bool(steps.tags),
        commit=steps.commit is not None,
    )
    edits = {f: git.show(config.root, steps.commit, f) or b"" for f in steps.files} if steps.commit else {}
    stages = tuple(StageResult(r, [], verified=True, resumed=True) for r in said.stages)
    made = Release(said.name, said.version, said.dists)
    recorded = journal.carry_out(config.root, steps, emit)
    return ReleaseResult(made, target, edits, stages=stages, recorded=recorded)
