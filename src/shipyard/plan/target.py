"""What one release run releases, decided before anything is built, with the guards that refuse a
wrong version: the declared version (plain `release`), a pushed tag (`--tag`), or the next version
from the commits (`--bump`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from shipyard.build.reproducible import source_date_epoch
from shipyard.config import Config, read_pyproject
from shipyard.errors import NothingToRelease, UsageError
from shipyard.plan import changelog
from shipyard.plan import source as versionsource
from shipyard.plan.nextrelease import Plan, Rules, make_plan
from shipyard.plan.source import Declared
from shipyard.plan.versions import Bump, Tagged, TagPattern, parse_version, released
from shipyard.tools import git

BUMPS = {"auto": None, "patch": Bump.PATCH, "minor": Bump.MINOR, "major": Bump.MAJOR}


@dataclass(frozen=True)
class Trigger:
    """How the run was asked to find its version (release's command-line flags)."""

    tag: str | None = None  # --tag TAG; "" for the declared version's tag
    bump: str | None = None  # --bump [auto|patch|minor|major]
    pre: str | None = None  # --pre rc
    if_branch: str | None = None
    allow_dirty: bool = False
    push: bool = False


@dataclass
class Target:
    name: str
    version: str | None  # None: whatever the backend builds (a plain release of a dynamic version)
    mode: str  # "project" | "tag" | "bump"
    declared: Declared
    tag: str | None = None  # the tag this release has or gets
    create_tag: bool = False
    commit: bool = False  # write the edits into the working tree and commit them, after the release
    edits: dict[str, bytes] = field(default_factory=dict)  # files written into the build copy
    env: dict[str, str] = field(default_factory=dict)  # handed to the build backend
    epoch: int | None = None
    plan: Plan | None = None
    branch: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "version": self.version,
            "tag": self.tag,
            "declared": self.declared.as_json(),
            "files": sorted(self.edits),
            "plan": self.plan.as_json() if self.plan else None,
        }


def project_name(root: Path, pyproject: Mapping[str, object]) -> str:
    """The distribution name from pyproject.toml (PEP 621 or Poetry), else setup.cfg."""
    import configparser

    project = pyproject.get("project")
    poetry = pyproject.get("tool", {}).get("poetry", {})  # type: ignore[attr-defined]
    name = project.get("name") if isinstance(project, dict) else poetry.get("name")
    if not name and (root / "setup.cfg").is_file():
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.read(root / "setup.cfg", encoding="utf-8")
        name = cfg.get("metadata", "name", fallback=None)
    if not isinstance(name, str) or not name:
        raise UsageError(
            f"{root / 'pyproject.toml'} declares no [project] name, which versions from git need"
        )
    return name


def rules(config: Config) -> Rules:
    return Rules(TagPattern(config.tag), config.commit_parser, config.major_on_zero)


def current_branch(root: Path, environ: Mapping[str, str]) -> str | None:
    """The branch being released: git's, or on a detached CI checkout the one the CI names."""
    if found := git.branch(root):
        return found
    if environ.get("GITHUB_REF_TYPE") == "branch":
        return environ.get("GITHUB_REF_NAME") or None
    if environ.get("CI_COMMIT_BRANCH"):
        return environ["CI_COMMIT_BRANCH"]
    if environ.get("BUILD_SOURCEBRANCH", "").startswith("refs/heads/"):
        return environ["BUILD_SOURCEBRANCH"][len("refs/heads/") :]
    if environ.get("TRAVIS_BRANCH") and environ.get("TRAVIS_PULL_REQUEST", "false") == "false":
        return environ["TRAVIS_BRANCH"]
    return None


def guard_clean(config: Config) -> None:
    root = config.root.resolve()
    ours = (config.dist_dir, root / ".shipyard")
    changed = [
        os.path.relpath(p, root)
        for p in git.dirty(root)
        if not any(p.resolve().is_relative_to(o) for o in ours)
    ]
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise UsageError(
            f"the working tree has uncommitted changes ({shown}): commit or stash them, "
            "or pass --allow-dirty to release them anyway"
        )


def _guard_tag_free(root: Path, tag: str) -> bool:
    """True when `tag` is still to be made; an existing tag must be on HEAD."""
    on = git.tag_commit(root, tag)
    if on is None:
        return True
    head = git.head(root)
    if on != head:
        raise UsageError(
            f"tag {tag} exists already on commit {on[:12]}, not on HEAD ({(head or '?')[:12]}): "
            "check that commit out to release it, or release another version"
        )
    return False


def _guard_not_lower(version: Version, tags: list[Tagged], tag: str | None) -> None:
    older = [t for t in tags if t.tag != tag]
    if older and version < older[-1].version:
        raise UsageError(
            f"version {version} is lower than {older[-1].version}, released as {older[-1].tag}: "
            "release a higher version"
        )


def guard_branch(wanted: str | None, branch: str | None) -> None:
    """`--if-branch`: anywhere else there is nothing to release (exit 3)."""
    if wanted is not None and branch != wanted:
        raise NothingToRelease(
            f"nothing to release: releases happen on branch {wanted}, this is {branch or 'no branch'}"
        )


def _guard_trigger(config: Config, trigger: Trigger, in_git: bool, branch: str | None) -> None:
    guard_branch(trigger.if_branch, branch)
    if trigger.tag is not None and trigger.bump is not None:
        raise UsageError(
            "--tag and --bump exclude each other: the version comes from the tag or from the commits"
        )
    if (trigger.tag is not None or trigger.bump is not None) and not in_git:
        raise UsageError(f"{config.root} is not in a git repository with a commit: --tag and --bump need one")
    if trigger.pre and trigger.bump is None:
        raise UsageError("--pre goes with --bump: it makes the next version a pre-release")
    if in_git and not trigger.allow_dirty:
        guard_clean(config)


def resolve(config: Config, trigger: Trigger, environ: Mapping[str, str]) -> Target:
    root = config.root
    pyproject = read_pyproject(root)
    declared = versionsource.find(root, pyproject)
    in_git = git.head(root) is not None
    branch = current_branch(root, environ) if in_git else None
    _guard_trigger(config, trigger, in_git, branch)
    if trigger.tag is None and trigger.bump is None and declared.version is None:
        return Target("", None, "project", declared, epoch=source_date_epoch(root), branch=branch)
    name = project_name(root, pyproject)
    target = Target(name, declared.version, "project", declared, epoch=source_date_epoch(root), branch=branch)
    if trigger.bump is not None:
        _from_commits(config, trigger, target)
    elif trigger.tag is not None:
        _from_tag(config, trigger.tag, target)
    elif declared.version is not None:
        version = parse_version(declared.version, f"the version {declared.source} declares")
        if in_git:
            _guard_not_lower(version, released(git.tags(root), rules(config).pattern, name), None)
    if trigger.push and target.mode == "project":
        raise UsageError("--push goes with --tag or --bump: a plain release makes nothing to push")
    if trigger.push and target.commit and not branch:
        raise UsageError(
            "--push needs a branch for the release commit, and HEAD is detached: check out the branch"
        )
    return target


def _from_tag(config: Config, tag: str, target: Target) -> None:
    pattern, root, declared = rules(config).pattern, config.root, target.declared
    if not tag:  # --tag alone: the tag of the declared version
        if declared.version is None:
            raise UsageError(f"--tag needs a TAG: the version comes from {declared.source}")
        tag = pattern.format(parse_version(declared.version, declared.source), target.name)
    text = pattern.match(tag, target.name)
    if text is None:
        raise UsageError(
            f"tag {tag!r} does not fit the tag pattern {pattern.pattern!r} for {target.name}: "
            "set tag = ... in [tool.shipyard] to the pattern your tags follow"
        )
    version = parse_version(text, f"tag {tag}:")
    target.mode, target.tag, target.version = "tag", tag, str(version)
    target.create_tag = _guard_tag_free(root, tag)
    _guard_not_lower(version, released(git.tags(root), pattern, target.name), tag)
    if declared.from_vcs:
        target.env = versionsource.vcs_env(target.name, str(version))
    elif declared.version is None or Version(declared.version) != version:
        if config.version_source == "project":
            raise UsageError(
                f"tag {tag} is version {version}, but {declared.source} says {declared.version}: "
                'make them agree, or set version-source = "tag" to build the tag\'s version'
            )
        target.edits = versionsource.edits(root, declared, str(version))


def _from_commits(config: Config, trigger: Trigger, target: Target) -> None:
    if trigger.bump not in BUMPS:
        raise UsageError(f"--bump {trigger.bump}: use auto (from the commits), patch, minor or major")
    root, declared = config.root, target.declared
    plan = make_plan(
        root, target.name, declared.version, rules(config), pre=trigger.pre, force=BUMPS[trigger.bump]
    )
    if plan.next_version is None:
        raise NothingToRelease(f"nothing to release: {plan.reason}")
    assert plan.tag is not None
    if plan.last is not None and plan.next_version <= plan.last.version:
        raise UsageError(
            f"version {plan.next_version} ({plan.reason}) is not higher than {plan.last.version}, "
            f"released as {plan.last.tag}: release a higher version"
        )
    version = str(plan.next_version)
    target.mode, target.version, target.tag, target.plan = "bump", version, plan.tag, plan
    target.create_tag = _guard_tag_free(root, plan.tag)
    target.commit = True
    if declared.from_vcs:
        target.env = versionsource.vcs_env(target.name, version)
    elif declared.version is None or Version(declared.version) != plan.next_version:
        target.edits = versionsource.edits(root, declared, version)
    if config.changelog is not None:
        target.edits.update(_changelog_edit(config, plan, target.epoch))


def _changelog_edit(config: Config, plan: Plan, epoch: int | None) -> dict[str, bytes]:
    assert config.changelog is not None and plan.next_version is not None
    path = config.changelog
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch if epoch is not None else time.time()))
    try:
        text = changelog.update(
            old if old and old.strip() else None, str(plan.next_version), date, plan.notes()
        )
    except ValueError as exc:
        raise UsageError(f"{path.name}: {exc}: remove it or release another version") from None
    return {str(path.relative_to(config.root)): text.encode("utf-8")}


@dataclass(frozen=True)
class Current:
    name: str
    version: str | None
    source: str
    declared: Declared
    last: Tagged | None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "declared": self.declared.as_json(),
            "last_tag": self.last.tag if self.last else None,
            "last_version": str(self.last.version) if self.last else None,
        }


def current(config: Config, *, isolated: bool = True) -> Current:
    """The project's version now, and where it comes from: the project's files, the build backend
    (dynamic versions), or failing those the last matching tag."""
    from shipyard.build.pep517 import metadata_version
    from shipyard.errors import BuildError

    pyproject = read_pyproject(config.root)
    name = project_name(config.root, pyproject)
    declared = versionsource.find(config.root, pyproject)
    tags = released(git.tags(config.root), rules(config).pattern, name)
    last = tags[-1] if tags else None
    if declared.version is not None:
        parse_version(declared.version, f"the version in {declared.source}")
        return Current(name, declared.version, declared.source, declared, last)
    try:
        return Current(
            name,
            metadata_version(config.root, isolated=isolated),
            "dynamic, via the build backend",
            declared,
            last,
        )
    except BuildError:
        if last is None:
            raise
        return Current(name, str(last.version), f"the last matching tag, {last.tag}", declared, last)
