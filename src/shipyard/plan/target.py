"""What one release run releases, decided before anything is built: the declared version (plain
`release`), a pushed tag (`--tag`), or the next version from the commits (`--bump`), as one frozen
Target. The guards that refuse a wrong version are in plan/guards.py.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from packaging.version import Version

from shipyard.builder.pep517 import backend_metadata
from shipyard.builder.reproducible import source_date_epoch
from shipyard.config import Config, read_pyproject, setup_py_only
from shipyard.errors import NothingToRelease, UsageError
from shipyard.plan import changelog, foreign, setuppy, untagged
from shipyard.plan import source as versionsource
from shipyard.plan.guards import guard_not_lower, guard_tag_free, guard_trigger
from shipyard.plan.history import History
from shipyard.plan.nextrelease import Plan, Rules, Subject, make_plan
from shipyard.plan.source import Declared
from shipyard.plan.versions import Bump, TagPattern, parse_version, released
from shipyard.tools import git

BUMPS = {"auto": None, "patch": Bump.PATCH, "minor": Bump.MINOR, "major": Bump.MAJOR}

Mode = Literal["project", "tag", "bump"]  # the declared version, a tag's, or the commits' next one


@dataclass(frozen=True)
class Trigger:
    """How the run was asked to find its version (release's command-line flags)."""

    tag: str | None = None  # --tag TAG; "" for the declared version's tag
    bump: str | None = None  # --bump [auto|patch|minor|major]
    pre: str | None = None  # --pre rc
    if_branch: str | None = None
    allow_dirty: bool = False
    push: bool = False


@dataclass(frozen=True)
class Target:
    name: str | None  # None: a plain release of a dynamic version, named and versioned by the backend
    version: str | None  # None: whatever the backend builds
    mode: Mode
    declared: Declared
    epoch: int | None  # SOURCE_DATE_EPOCH of the build (and of the release commit)
    branch: str | None
    tag: str | None = None  # the tag this release has or gets
    create_tag: bool = False
    commit: bool = False  # write the edits into the working tree and commit them, after the release
    edits: Mapping[str, bytes] = field(default_factory=dict)  # files written into the build copy
    env: Mapping[str, str] = field(default_factory=dict)  # handed to the build backend
    plan: Plan | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "version": self.version,
            "tag": self.tag,
            "declared": self.declared.as_json(),
            "files": sorted(self.edits),
            "plan": self.plan.as_json() if self.plan else None,
        }


def _declared_name(root: Path, pyproject: Mapping[str, object]) -> str | None:
    """The distribution name from pyproject.toml (PEP 621 or Poetry), else setup.cfg, else the
    literal setup.py gives setup(name=...)."""
    project = pyproject.get("project")
    poetry = pyproject.get("tool", {}).get("poetry", {})  # type: ignore[attr-defined]
    name = project.get("name") if isinstance(project, dict) else poetry.get("name")
    if not name and (root / "setup.cfg").is_file():
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.read(root / "setup.cfg", encoding="utf-8")
        name = cfg.get("metadata", "name", fallback=None)
    if not name:
        name = setuppy.keyword(root, "name")
    return name if isinstance(name, str) and name else None


def project_identity(root: Path, pyproject: Mapping[str, object]) -> tuple[str, Declared]:
    """The project's name and where it declares its version. A setup.py-only project names itself
    through the build backend, as the build would (prepare_metadata_for_build_wheel), which then
    also says the version when no file declares it."""
    declared = versionsource.find(root, pyproject)
    name = _declared_name(root, pyproject)
    computed = declared.version is None and not declared.from_vcs and setup_py_only(root)
    if name is not None and not computed:
        return name, declared
    if not (root / "setup.py").is_file():
        raise UsageError(
            f"{root / 'pyproject.toml'} declares no [project] name, which versions from git need"
        )
    name, version = backend_metadata(root)
    if declared.version is None and not declared.from_vcs:
        declared = Declared(version, "setup.py, as the build backend reports it")
    return name, declared


def project_name(root: Path, pyproject: Mapping[str, object]) -> str:
    """The distribution name (a setup.py-only project's from the build backend)."""
    return project_identity(root, pyproject)[0]


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


Served = Callable[[str], Version | None]  # the highest version the first stage serves of a project


def resolve(
    config: Config, trigger: Trigger, environ: Mapping[str, str], served: Served | None = None
) -> Target:
    """The release's target; `served` is asked only for a --bump of a project with no tag yet."""
    root = config.root
    pyproject = read_pyproject(root)
    declared = versionsource.find(root, pyproject)
    in_git = git.head(root) is not None
    branch = current_branch(root, environ) if in_git else None
    guard_trigger(config, trigger, in_git, branch)
    epoch = source_date_epoch(root)
    if trigger.tag is None and trigger.bump is None and declared.version is None:
        return Target(None, None, "project", declared, epoch, branch)
    name, declared = project_identity(root, pyproject)
    target = Target(name, declared.version, "project", declared, epoch, branch)
    if trigger.bump is not None:
        target = _from_commits(config, trigger, name, target, served)
    elif trigger.tag is not None:
        target = _from_tag(config, trigger.tag, name, target)
    elif declared.version is not None:
        version = parse_version(declared.version, f"the version {declared.source} declares")
        if in_git:
            guard_not_lower(version, released(git.tags(root), rules(config).pattern, name), None)
    if trigger.push and target.mode == "project":
        raise UsageError("--push goes with --tag or --bump: a plain release makes nothing to push")
    if trigger.push and target.commit and not branch:
        raise UsageError(
            "--push needs a branch for the release commit, and HEAD is detached: check out the branch"
        )
    return target


def _from_tag(config: Config, tag: str, name: str, plain: Target) -> Target:
    """`plain` released at the version of `tag` (the declared version's tag when `tag` is "")."""
    pattern, root, declared = rules(config).pattern, config.root, plain.declared
    if not tag:  # --tag alone: the tag of the declared version
        if declared.version is None:
            raise UsageError(f"--tag needs a TAG: the version comes from {declared.source}")
        tag = pattern.format(parse_version(declared.version, declared.source), name)
    text = pattern.match(tag, name)
    if text is None:
        raise UsageError(
            f"tag {tag!r} does not fit the tag pattern {pattern.pattern!r} for {name}: "
            "set tag = ... in [tool.shipyard] to the pattern your tags follow"
        )
    version = parse_version(text, f"tag {tag}:")
    create_tag = guard_tag_free(root, tag)
    guard_not_lower(version, released(git.tags(root), pattern, name), tag)
    env: dict[str, str] = {}
    edits: dict[str, bytes] = {}
    if declared.from_vcs:
        env = versionsource.vcs_env(name, str(version))
    elif declared.version is None or Version(declared.version) != version:
        if config.version_source == "project":
            raise UsageError(
                f"tag {tag} is version {version}, but {declared.source} says {declared.version}: "
                'make them agree, or set version-source = "tag" to build the tag\'s version'
            )
        edits = versionsource.edits(root, declared, str(version))
    edits = version_files(config, declared, str(version), edits)
    return replace(
        plain, mode="tag", version=str(version), tag=tag, create_tag=create_tag, edits=edits, env=env
    )


def _from_commits(
    config: Config, trigger: Trigger, name: str, plain: Target, served: Served | None
) -> Target:
    """`plain` released at the next version its commits call for, committed with its changelog."""
    if trigger.bump not in BUMPS:
        raise UsageError(f"--bump {trigger.bump}: use auto (from the commits), patch, minor or major")
    root, declared = config.root, plain.declared
    subject = Subject(name, declared.version)
    plan = make_plan(History.read(root), subject, rules(config), pre=trigger.pre, force=BUMPS[trigger.bump])
    if plan.last is None:  # no tag yet: the last release is what the first stage serves
        plan = untagged_plan(config, plan, trigger, served(name) if served else None)
    if plan.next_version is None:
        raise NothingToRelease(f"nothing to release: {plan.reason}")
    assert plan.tag is not None
    if plan.last is not None and plan.next_version <= plan.last.version:
        raise UsageError(
            f"version {plan.next_version} ({plan.reason}) is not higher than {plan.last.version}, "
            f"released as {plan.last.tag}: release a higher version"
        )
    version = str(plan.next_version)
    create_tag = guard_tag_free(root, plan.tag)
    env: dict[str, str] = {}
    edits: dict[str, bytes] = {}
    if declared.from_vcs:
        env = versionsource.vcs_env(name, version)
    elif declared.version is None or Version(declared.version) != plan.next_version:
        edits = versionsource.edits(root, declared, version)
    edits = version_files(config, declared, version, edits)
    if config.changelog is not None:
        edits.update(_changelog_edit(config, plan, plain.epoch))
    return replace(
        plain,
        mode="bump",
        version=version,
        tag=plan.tag,
        create_tag=create_tag,
        commit=True,
        edits=edits,
        env=env,
        plan=plan,
    )


def untagged_plan(config: Config, plan: Plan, trigger: Trigger, highest: Version | None) -> Plan:
    """The plan of a project with no tag yet, from `highest` (what its first stage serves)."""
    stage = config.stages[0] if config.stages else "the first stage"
    force = BUMPS.get(trigger.bump or "auto")
    return untagged.decide(plan, rules(config), force=force, pre=trigger.pre, served=highest, stage=stage)


def version_files(
    config: Config, declared: Declared, version: str, edits: dict[str, bytes]
) -> dict[str, bytes]:
    """`edits` with the version written into the `version-files` option's files, else into those
    python-semantic-release, commitizen or bump-my-version are configured to write."""
    if config.version_files:
        return versionsource.assignment_edits(config.root, config.version_files, version, edits)
    found = foreign.places(read_pyproject(config.root), declared.version)
    return foreign.edits(config.root, found, version, edits)


def _changelog_edit(config: Config, plan: Plan, epoch: int | None) -> dict[str, bytes]:
    assert config.changelog is not None and plan.next_version is not None
    path = config.changelog
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    try:
        text = changelog.update(
            old if old and old.strip() else None,
            str(plan.next_version),
            changelog.release_date(epoch),
            plan.notes(),
        )
    except ValueError as exc:
        raise UsageError(f"{path.name}: {exc}: remove it or release another version") from None
    return {str(path.relative_to(config.root)): text.encode("utf-8")}
