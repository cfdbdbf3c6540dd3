"""A workspace: one repository holding several Python projects, each released on its own.

A root is a workspace when its pyproject.toml has `[tool.uv.workspace]` (`members` and `exclude`
globs, as uv reads them) or `[tool.shipyard.workspace] members = [...]` (the same globs, for a
folder of hatch, pdm, poetry or setuptools projects that uv does not manage). Every folder the globs
match is a member, with its own pyproject.toml; a root that is a project itself (`[project]`) is a
member too. Each member's name and version source come from the same code a single project uses
(plan/source.py); what it requires of the other members makes the release order.

Refused before anything is built, each in one line: a `{ workspace = true }` source no member
provides (a member outside the globs), two members with one distribution name, members requiring
each other in a circle, a member without a version shipyard can read or write.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from shipyard import config
from shipyard.config import Config, read_pyproject, table_at
from shipyard.errors import ConfigError, UsageError
from shipyard.plan.source import Declared
from shipyard.plan.target import project_identity

TAG = "{package}-v{version}"  # a workspace's default tag pattern, as a packaging repository's
SKIPPED = ("__pycache__", "node_modules")


@dataclass(frozen=True)
class Need:
    """What a member requires of another member: the other's name, the version range (PEP 440, or
    Poetry's caret/tilde for `[tool.poetry.dependencies]`) and where it is written."""

    name: str  # canonical
    spec: str  # "" for none (a uv workspace source usually)
    poetry: bool = False
    extra: bool = False  # an optional dependency: no release order (extras may go both ways)


@dataclass(frozen=True)
class Member:
    name: str
    folder: str  # relative to the workspace root, "/" separated; "." for the root itself
    path: Path
    declared: Declared
    needs: tuple[Need, ...] = ()  # of other members only

    @property
    def requires(self) -> list[str]:
        """The members it needs installed (its dependencies, not its extras)."""
        return list(dict.fromkeys(n.name for n in self.needs if not n.extra))

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "folder": self.folder,
            "version_source": self.declared.source,
            "declared_version": self.declared.version,
            "requires": [{"name": n.name, "spec": n.spec} for n in self.needs],
        }


@dataclass(frozen=True)
class Workspace:
    root: Path
    kind: str  # "uv" or "shipyard": which table declares it
    members: tuple[Member, ...]  # dependency order: a member after those it requires

    def member(self, name: str) -> Member:
        found = {m.key: m for m in self.members}.get(canonicalize_name(name))
        if found is None:
            known = ", ".join(m.name for m in self.members)
            raise UsageError(f"--package {name}: no such member in the workspace (members: {known})")
        return found


def _globs(root: Path, pyproject: Mapping[str, object]) -> tuple[str, list[str], list[str]] | None:
    """Which table declares the workspace, its member globs and its exclude globs: shipyard's when
    it names members, else uv's. A root that is a project itself stays a single project (released
    with its own tags, as before) unless [tool.shipyard.workspace] is there too."""
    ours = table_at(pyproject, "tool", "shipyard")
    uv = table_at(pyproject, "tool", "uv")
    if isinstance(pyproject.get("project"), dict) and "workspace" not in ours:
        return None
    for kind, present, table in (
        ("shipyard", "members" in table_at(ours, "workspace"), table_at(ours, "workspace")),
        ("uv", "workspace" in uv, table_at(uv, "workspace")),
        ("shipyard", "workspace" in ours, table_at(ours, "workspace")),
    ):
        if present:
            where = f"[tool.{kind}.workspace] in {root / 'pyproject.toml'}"
            return (
                kind,
                _strings(table.get("members", []), f"{where} members"),
                _strings(table.get("exclude", []), f"{where} exclude"),
            )
    return None


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where} must be a list of folder globs, such as ["packages/*"]')
    return list(value)


def is_workspace(root: Path) -> bool:
    """Whether `root` holds a workspace (a pyproject.toml declaring one)."""
    if not (root / "pyproject.toml").is_file():
        return False
    return _globs(root, read_pyproject(root)) is not None


def load_config(root: Path, environ: Mapping[str, str], flags: Mapping[str, object] | None = None) -> Config:
    """The root's [tool.shipyard] options, with tags per member (`{package}-v{version}`) by default."""
    table = dict(table_at(read_pyproject(root), "tool", "shipyard"))
    table.setdefault("tag", TAG)
    return config.from_table(root, table, environ=environ, flags=flags)


def _matched(root: Path, patterns: Sequence[str], what: str) -> list[Path]:
    found: list[Path] = []
    top = root.resolve()
    for pattern in patterns:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ConfigError(f"workspace {what} {pattern!r} leads outside {root}: name folders inside it")
        for path in sorted(root.glob(pattern)):
            if path.is_dir() and path.name not in SKIPPED and not path.name.startswith("."):
                if not path.resolve().is_relative_to(top):
                    raise ConfigError(f"workspace {what} {pattern!r} matches {path}, outside {root}")
                found.append(path)
    return found


def folders(root: Path) -> tuple[str, list[Path]]:
    """The workspace's kind and its members' folders (the root first, when it is a project)."""
    pyproject = read_pyproject(root)
    globs = _globs(root, pyproject)
    if globs is None:
        raise UsageError(f"{root} is no workspace: its pyproject.toml has no [tool.uv.workspace]")
    kind, members, exclude = globs
    excluded = set(_matched(root, exclude, "exclude"))
    paths = [p for p in dict.fromkeys(_matched(root, members, "member")) if p not in excluded]
    for path in paths:
        if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
            rel = path.relative_to(root).as_posix()
            raise ConfigError(f"workspace member {rel} has no pyproject.toml: add one, or exclude the folder")
    if isinstance(pyproject.get("project"), dict):
        paths.insert(0, root)
    return kind, paths


def _needs(pyproject: Mapping[str, object]) -> list[Need]:
    """Every requirement the project declares (dependencies and extras; Poetry's too)."""
    project = table_at(pyproject, "project")
    deps = project.get("dependencies")
    texts = [(t, False) for t in deps] if isinstance(deps, list) else []
    for extra in table_at(project, "optional-dependencies").values():
        texts += [(t, True) for t in extra] if isinstance(extra, list) else []
    found = []
    for text, extra in texts:
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            continue  # the build refuses it with the backend's words
        found.append(Need(canonicalize_name(req.name), spec_text(str(text)), extra=extra))
    for name, value in table_at(pyproject, "tool", "poetry", "dependencies").items():
        if name.lower() == "python":
            continue
        table = table_at({"v": value}, "v")
        spec = value if isinstance(value, str) else str(table.get("version", ""))
        optional = bool(table.get("optional"))
        found.append(Need(canonicalize_name(name), "" if spec == "*" else spec, poetry=True, extra=optional))
    return found


def spec_text(requirement: str) -> str:
    """The version range of a PEP 508 requirement as written (`alpha>=1.0,<2` -> `>=1.0,<2`)."""
    head = re.split(r"[;@]", requirement, maxsplit=1)[0]
    found = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*(?P<spec>.*)", head)
    return (found["spec"] if found else "").strip().strip("()").replace(" ", "")


def _sources(pyproject: Mapping[str, object]) -> list[str]:
    """The names `[tool.uv.sources]` takes from the workspace (`{ workspace = true }`)."""
    sources = table_at(pyproject, "tool", "uv", "sources")
    return [canonicalize_name(n) for n, v in sources.items() if isinstance(v, dict) and v.get("workspace")]


def _member(root: Path, path: Path) -> tuple[Member, list[Need], list[str]]:
    folder = path.relative_to(root).as_posix() if path != root else "."
    pyproject = read_pyproject(path)
    name, declared = project_identity(path, pyproject)
    if declared.version is None and not declared.from_vcs:
        raise UsageError(
            f"workspace member {folder} ({name}) has no version shipyard can read or write "
            f"({declared.source}): set [project] version, a version file, or a VCS version plugin"
        )
    return Member(name, folder, path, declared), _needs(pyproject), _sources(pyproject)


def discover(root: Path) -> Workspace:
    """The workspace at `root`: its members, in dependency order, with what they need of each other."""
    root = root.resolve()
    kind, paths = folders(root)
    read = [_member(root, p) for p in paths]
    by_key: dict[str, Member] = {}
    for member, _, _ in read:
        if (other := by_key.get(member.key)) is not None:
            raise UsageError(
                f"workspace members {other.folder} and {member.folder} are both named {member.name}: "
                "give each member its own distribution name"
            )
        by_key[member.key] = member
    root_sources = _sources(read_pyproject(root))
    for member, _, sources in read:
        for name in [*sources, *root_sources]:
            if name not in by_key:
                raise UsageError(
                    f"{member.folder}/pyproject.toml takes {name} from the workspace, but no member under "
                    "the workspace's globs is named so: add its folder to the members"
                )
    members = []
    for member, needs, sources in read:
        own = [n for n in needs if n.name in by_key and n.name != member.key]
        own += [Need(s, "") for s in sources if s != member.key and all(n.name != s for n in own)]
        members.append(Member(member.name, member.folder, member.path, member.declared, tuple(own)))
    return Workspace(root, kind, tuple(_ordered(members)))


def _ordered(members: list[Member]) -> list[Member]:
    by_key = {m.key: m for m in members}
    graph = {m.key: {n.name for n in m.needs if not n.extra} for m in members}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        circle = " -> ".join(by_key[k].name for k in exc.args[1])
        raise UsageError(
            f"workspace members require each other in a circle: {circle}: break the circle"
        ) from None
    return [by_key[k] for k in order]
