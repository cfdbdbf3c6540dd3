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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.tags import sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from shipyard import events
from shipyard.builder import kept, repair
from shipyard.builder.pep517 import build
from shipyard.builder.stamp import stamped
from shipyard.config import Config
from shipyard.dists import Dist, in_folder, release_of
from shipyard.errors import BuildError, ShipyardError, UsageError
from shipyard.index import credentials
from shipyard.index.base import release_page
from shipyard.index.open import open_index
from shipyard.plan.source import Declared
from shipyard.plan.target import Mode, Target, resolve
from shipyard.publish.audit import AuditLog
from shipyard.publish.lower import highest_served
from shipyard.record import forge, journal, writer
from shipyard.release.rerun import already_released
from shipyard.release.ship import Options, StageResult, ship
from shipyard.tools import git, workdirs

if TYPE_CHECKING:
    from shipyard.check.testinstall import TestInstall
    from shipyard.index.base import Index


@dataclass
class ReleaseResult:
    name: str
    version: str
    dists: list[Dist]
    target: Target
    edits: Mapping[str, bytes]  # the files the build saw updated: the target's, with uv.lock refreshed
    test_install: TestInstall | None = None
    stages: list[StageResult] = field(default_factory=list)
    recorded: writer.Recorded | None = None
    forge_releases: list[forge.ForgeRelease] = field(default_factory=list)  # GitHub's or GitLab's

    def as_json(self) -> dict[str, object]:
        recorded = self.recorded
        return {
            "name": self.name,
            "version": self.version,
            "target": {**self.target.as_json(), "files": sorted(self.edits)},
            "dists": [d.as_json() for d in self.dists],
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
    config: Config, target: Target, options: Options, emit: events.Emit, *, public: bool
) -> tuple[list[Dist], Mapping[str, bytes], str, str | None]:
    """The artifacts kept for this source if there are any (no rebuild), else a new build; the
    source's key, under which the new build is kept once its first file is about to be uploaded
    (from then on a rebuild could conflict with the index; before, it is free); and the release
    commit of a --bump (the same commit again for kept artifacts: same tree, parent, date)."""
    declared = target.declared
    source = kept.Source(
        config.root, target.edits, target.env, target.epoch, options.isolated, declared.from_vcs
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
    dists, made, sha = _build_new(config, target, options, emit, public=public)
    return dists, made, key, sha


def _commits(target: Target) -> bool:
    """A --bump makes a release commit when it writes anything (a version, a changelog)."""
    return target.commit and bool(target.edits)


def _build_new(
    config: Config, target: Target, options: Options, emit: events.Emit, *, public: bool
) -> tuple[list[Dist], Mapping[str, bytes], str | None]:
    """Build in place, or from a temporary checkout of HEAD with the edits (for a --bump: of the
    release commit, made first); returns the files, the edits the build saw (with uv.lock when it
    was refreshed) and the release commit. For a public stage, linux_* wheels are repaired when the
    tools are installed (else check says how)."""

    def build_from(srcdir: Path) -> list[Dist]:
        isolated, epoch, env = options.isolated, target.epoch, target.env
        dists = build(srcdir, config.dist_dir, isolated=isolated, emit=emit, epoch=epoch, env=env)
        if public and repair.tools_installed():
            dists = repair.repair(dists, config.dist_dir, emit=emit)
        return dists

    if not target.edits:
        return build_from(config.root), target.edits, None
    commit = (_message(target), target.epoch) if _commits(target) else None
    with stamped(config.root, target.edits, commit) as tree:
        what = f"the release commit {tree.commit[:12]}" if tree.commit else "a checkout of HEAD"
        events.info(
            emit, f"building {target.version} from {what}, with {', '.join(sorted(tree.made))} updated"
        )
        return build_from(tree.path), tree.made, tree.commit


def _prebuilt(folder: Path, target: Target) -> list[Dist]:
    """The files of `release --dists`: one release of the project this release is about."""
    dists = in_folder(folder)
    name, _ = release_of(dists)
    if target.name is not None and canonicalize_name(target.name) != name:
        raise UsageError(f"--dists {folder} holds files of {name}, but this project is {target.name}")
    # a matrix's folder holds wheels for many platforms: the test-install takes one that installs here
    supported = set(sys_tags())
    return sorted(
        dists, key=lambda d: d.kind != "wheel" or not supported & parse_wheel_filename(d.filename)[3]
    )


def _notes(target: Target) -> str:
    """The release notes for the commit and the tag messages."""
    if target.plan is None:
        return ""
    lines = []
    for heading, notes in target.plan.notes().items():
        lines += [f"{heading}:", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines).strip()


def _same_version(options: Options, target: Target, name: str, version: str) -> None:
    """The files are of the version this release is about."""
    if (
        options.dists is not None
        and target.version is not None
        and Version(version) != Version(target.version)
    ):
        raise UsageError(
            f"--dists {options.dists} holds {name} {version}, but this release is {target.version}"
        )
    if target.version is not None and Version(version) != Version(target.version):
        raise BuildError(
            f"the backend built version {version}, but this release is {target.version}: "
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


def release(
    config: Config, environ: Mapping[str, str], options: Options, emit: events.Emit = events.ignore
) -> ReleaseResult:
    if options.dists is not None and options.trigger.bump is not None:
        raise UsageError(
            "--dists releases files built elsewhere, with their version in them: use it with --tag or "
            "the declared version, not --bump"
        )
    if not options.dry_run and (pending := journal.load(config.root)) is not None:
        return _finish(config, pending, options, emit)
    repos = [config.repository(name) for name in config.stages]
    # every credential, then the version, are settled before anything is built: a refusal costs
    # nothing; and the credentials first, so the redactor knows them before any notes are written
    found = credentials.for_stages(repos, config.root, environ, emit)
    indexes = [open_index(r, c, config.network) for r, c in zip(repos, found, strict=True)]
    served = functools.partial(_highest_served, indexes[0]) if indexes else None
    target = resolve(config, options.trigger, environ, served)
    head = git.head(config.root) or ""  # what the release commit is made on, and a tag without one
    _announce(config, target, emit)
    records = not options.dry_run and (target.commit or target.create_tag)
    if records:  # a lock a killed git left would stop the record after the publish: refuse it now
        writer.guard_locks(config.root, [target.tag] if target.tag else [], target.branch)
    keep: Callable[[], None] | None = None
    sha: str | None = None
    if options.dists is not None:
        dists, edits = _prebuilt(options.dists, target), target.edits
    else:
        dists, edits, key, sha = _build(config, target, options, emit, public=any(r.public for r in repos))
        keep = functools.partial(kept.keep, config.root, key, dists, edits)
    name, version = release_of(dists)
    _same_version(options, target, name, version)
    result = ReleaseResult(name, version, dists, target, edits)
    audit = AuditLog.at(config.root, environ)
    if (done := already_released(config, dists, indexes, options, emit, audit)) is not None:
        result.stages = done
    else:
        result.test_install, result.stages = ship(
            config, dists, indexes, options, emit, tests_root=config.root, audit=audit, before_upload=keep
        )
    if records:
        # the journal first: from here on a re-run finishes this record, whatever point it died at
        steps = _steps_of(config, target, head, edits, sha, options.trigger.push)
        journal.save(config.root, journal.Journal(steps, _journaled(result, options)))
        result.recorded = journal.carry_out(config.root, steps, emit)
    if not options.dry_run and config.forge_release and target.tag:
        pushed = result.recorded is not None and result.recorded.pushed
        notes = target.plan.notes() if target.plan is not None else {}
        tagged = forge.Tagged(target.tag, name, version, forge.body(notes, result.page(config)))
        on_remote = pushed or not target.create_tag  # a tag made now reaches the forge only pushed
        result.forge_releases = forge.make_releases(
            [tagged], environ, emit, on_remote=on_remote, budget=config.network.retry_timeout
        )
    if workdirs.unignored_state(config.root):
        events.warning(
            emit,
            f"add {workdirs.STATE}/ to .gitignore: shipyard keeps its state and local index there, "
            "and backends such as hatchling would pack it into the next sdist (which check then refuses)",
        )
    return result


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


def _journaled(result: ReleaseResult, options: Options) -> dict[str, object]:
    """What the journal says about the release: enough to report it again, and the command."""
    trigger = options.trigger
    return {
        "name": result.name,
        "version": result.version,
        "mode": result.target.mode,
        "tag": result.target.tag,
        "dists": [d.as_json() for d in result.dists],
        "stages": [s.repository for s in result.stages],
        "command": _command({"tag": trigger.tag, "bump": trigger.bump, "pre": trigger.pre}),
    }


def _command(raw: object) -> str:
    """The command as the journal says it (a packaging repository's too), or as asked now."""
    if isinstance(raw, str):
        return raw
    words = ["shipyard", "release"]
    if isinstance(raw, dict):
        for flag in ("tag", "bump", "pre"):
            if raw.get(flag) is not None:
                words += [f"--{flag}", str(raw[flag])] if raw[flag] else [f"--{flag}"]
    return " ".join(words)


def _finish(config: Config, pending: journal.Journal, options: Options, emit: events.Emit) -> ReleaseResult:
    """Finish the record an earlier run journaled (its release is published and verified): the
    commit, the tag and the push, each unless done. Nothing is built or published."""
    raw, trigger = pending.release, options.trigger
    name, version = str(raw.get("name")), str(raw.get("version"))
    asked = _command({"tag": trigger.tag, "bump": trigger.bump, "pre": trigger.pre})
    journal.check_command(config.root, f"{name} {version}", _command(raw.get("command")), asked)
    journal.validate(config.root, pending, remote=config.remote, stages=config.stages)
    events.info(
        emit, f"{name} {version} was published and verified by a run that stopped: finishing its record"
    )
    steps = dataclasses.replace(pending.steps, push=pending.steps.push or trigger.push)
    journal.check_head(config.root, f"{name} {version}", steps)
    dists = [
        Dist(Path(str(d["path"])), str(d["sha256"]), d["kind"], str(d["name"]), str(d["version"]))
        for d in raw.get("dists", [])  # type: ignore[attr-defined]
    ]
    mode: Mode = "bump" if raw.get("mode") == "bump" else "tag" if raw.get("mode") == "tag" else "project"
    tag = str(raw["tag"]) if raw.get("tag") else None
    target = Target(
        name,
        version,
        mode,
        Declared(version, "the journal of the run that released it"),
        None,
        steps.branch,
        tag,
        create_tag=bool(steps.tags),
        commit=steps.commit is not None,
    )
    edits = {f: git.show(config.root, steps.commit, f) or b"" for f in steps.files} if steps.commit else {}
    stages = [StageResult(str(r), [], verified=True, resumed=True) for r in raw.get("stages", [])]  # type: ignore[attr-defined]
    result = ReleaseResult(name, version, dists, target, edits, stages=stages)
    result.recorded = journal.carry_out(config.root, steps, emit)
    return result
