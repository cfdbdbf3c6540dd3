"""Where a project declares its version, and the edits that write a new one there.

Covered: `[project] version`, Poetry's `[tool.poetry] version`, setup.cfg and a version file (each
with a matching `__version__` in the package kept in step), dynamic versions read from a module by
hatchling, setuptools, pdm or flit, and the `version-files` option's `NAME = "..."` assignments.
Versions that the backend derives from git (setuptools-scm, hatch-vcs and friends) are not written
anywhere: the build is told the version instead (SETUPTOOLS_SCM_PRETEND_VERSION).
Edits are minimal: tomlkit for TOML (comments and layout kept), one substitution elsewhere.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from shipyard.errors import ConfigError
from shipyard.plan import setuppy
from shipyard.plan.setuppy import SetupKeyword
from shipyard.tools.tomlread import tomllib

Toml = Mapping[str, object]  # a table of pyproject.toml, as tomllib reads it

# backends and plugins that take the version from git tags
VCS_PLUGINS = ("setuptools-scm", "setuptools_scm", "hatch-vcs", "uv-dynamic-versioning", "versioningit")


class Format(Protocol):
    """How one kind of file holds a version (hatchling's version sources are the model): `read` finds
    it, `write` returns the text with the smallest edit that puts `new` there (None: no version to
    replace)."""

    def read(self, text: str) -> str | None: ...

    def write(self, text: str, new: str) -> str | None: ...


@dataclass(frozen=True)
class TomlVersion:
    """`version = "..."` (or `key`) in one table of a TOML file ([project], Poetry's [tool.poetry]);
    tomlkit keeps comments and layout."""

    table: tuple[str, ...]
    key: str = "version"

    def read(self, text: str) -> str | None:
        try:
            data: Toml = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        return _text(_table(data, *self.table), self.key)

    def write(self, text: str, new: str) -> str | None:
        import tomlkit  # only a release that edits TOML pays for it

        if self.read(text) is None:
            return None
        doc = tomlkit.parse(text)
        table = doc
        for key in self.table:
            table = table[key]
        table[self.key] = new
        return tomlkit.dumps(doc)


@dataclass(frozen=True)
class Assignment:
    """The first line matching `pattern` (groups: lead, v, and q for a quote kept as it was)."""

    pattern: re.Pattern[str]

    def read(self, text: str) -> str | None:
        found = self.pattern.search(text)
        return found["v"] if found else None

    def write(self, text: str, new: str) -> str | None:
        def put(m: re.Match[str]) -> str:
            quote = m.groupdict().get("q") or ""
            return f"{m['lead']}{quote}{new}{quote}"

        edited, count = self.pattern.subn(put, text, count=1)
        return edited if count else None


class WholeFile:
    """A file that holds the version alone (setuptools' `version = {file = "VERSION"}`)."""

    def read(self, text: str) -> str | None:
        return text.strip() or None

    def write(self, text: str, new: str) -> str | None:
        old = text.strip()
        return text.replace(old, new, 1) if old else new + "\n"


PYPROJECT = TomlVersion(("project",))
POETRY = TomlVersion(("tool", "poetry"))
DUNDER = Assignment(
    re.compile(
        r"^(?P<lead>(?:__version__|VERSION)\s*(?::\s*str\s*)?=\s*)(?P<q>['\"])(?P<v>[^'\"\n]*)(?P=q)",
        re.MULTILINE,
    )
)
SETUP_CFG = Assignment(re.compile(r"^(?P<lead>version\s*=\s*)(?P<v>\S+)[ \t]*$", re.MULTILINE))
VERSION_FILE = WholeFile()
SETUP_PY = SetupKeyword()


@dataclass(frozen=True)
class Place:
    path: str  # relative to the project root
    format: Format


@dataclass(frozen=True)
class Declared:
    version: str | None  # None when the backend computes it
    source: str  # where it comes from, in words
    places: tuple[Place, ...] = ()  # where a new version is written
    from_vcs: bool = False  # the backend reads it from git tags

    def as_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "source": self.source,
            "files": [p.path for p in self.places],
            "from_vcs": self.from_vcs,
        }


def _read(root: Path, place: Place) -> str | None:
    try:
        text = (root / place.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return place.format.read(text)


def _module_files(root: Path, dotted: str) -> list[str]:
    path = dotted.replace(".", "/")
    return [f"{base}{path}{tail}" for base in ("src/", "") for tail in ("/__init__.py", ".py")]


def _first_existing(root: Path, candidates: list[str]) -> str | None:
    return next((c for c in candidates if (root / c).is_file()), None)


NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "scripts"})


def package_module(root: Path, name: str) -> str | None:
    """The file of the project's import package that holds its `__version__`: the one named after
    the distribution (as is, or lower-cased: `MarkupSafe` is `markupsafe`), else the one top-level
    package (src/ layout or flat) that assigns a `__version__` (`deezer` in `deezer-python`)."""
    dotted = name.replace("-", "_").replace(".", "_")
    for guess in dict.fromkeys([dotted, dotted.lower()]):
        if guess and (found := _first_existing(root, _module_files(root, guess))):
            return found
    inits = [
        f"{base}{folder.name}/__init__.py"
        for base in ("src/", "")
        if (root / base).is_dir()
        for folder in sorted((root / base).iterdir())
        if folder.name.isidentifier()
        and folder.name not in NOT_PACKAGES
        and (folder / "__init__.py").is_file()
    ]
    versioned = [path for path in inits if _read(root, Place(path, DUNDER)) is not None]
    return versioned[0] if len(versioned) == 1 else None


def _in_step(root: Path, name: str, version: str | None, declared: Place) -> tuple[Place, ...]:
    """`declared`, and the package's `__version__` when it matches the declared version (kept in
    step by hand so far): then a release writes both, whatever declares the version."""
    module = package_module(root, name) if name else None
    if not (version and name and module) or module == declared.path:
        return (declared,)
    in_step = _read(root, Place(module, DUNDER)) == version
    return (declared, Place(module, DUNDER)) if in_step else (declared,)


def _setup_cfg_name(root: Path) -> str:
    parser = configparser.RawConfigParser()
    try:
        parser.read(root / "setup.cfg", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return ""
    return parser.get("metadata", "name", fallback="")


def _table(data: Toml, *keys: str) -> Toml:
    """The table at `keys` under `data`; empty when one of them is missing or not a table."""
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _text(data: Toml, key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _texts(data: Toml, key: str) -> list[str]:
    value = data.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def _requires(pyproject: Toml) -> str:
    build_system = _table(pyproject, "build-system")
    backend = build_system.get("build-backend", "")
    return " ".join([*_texts(build_system, "requires"), str(backend)]).lower()


def _from_vcs(pyproject: Toml) -> bool:
    tool = _table(pyproject, "tool")
    return (
        any(plugin in _requires(pyproject) for plugin in VCS_PLUGINS)
        or "setuptools_scm" in tool
        or _table(tool, "hatch", "version").get("source") == "vcs"
        or _table(tool, "pdm", "version").get("source") == "scm"
    )


def _dynamic_place(root: Path, pyproject: Toml, name: str) -> Place | None:
    tool = _table(pyproject, "tool")
    hatch_path = _text(_table(tool, "hatch", "version"), "path")
    if hatch_path is not None:
        return Place(hatch_path, DUNDER)
    pdm = _table(tool, "pdm", "version")
    pdm_path = _text(pdm, "path")
    if pdm.get("source") == "file" and pdm_path is not None:
        return Place(pdm_path, DUNDER)
    dynamic = _table(tool, "setuptools", "dynamic", "version")
    attr, file = _text(dynamic, "attr"), _text(dynamic, "file")
    if attr is not None:
        module = attr.rsplit(".", 1)[0]
        found = _first_existing(root, _module_files(root, module))
        return Place(found, DUNDER) if found else None
    if file is not None:
        return Place(file, VERSION_FILE)
    if "flit" in _requires(pyproject):
        module = _text(_table(tool, "flit", "module"), "name") or name.replace("-", "_")
        found = _first_existing(root, _module_files(root, module))
        return Place(found, DUNDER) if found else None
    return None


def find(root: Path, pyproject: Toml) -> Declared:
    """Where the project at `root` declares its version."""
    project = _table(pyproject, "project")
    name = str(project.get("name", ""))
    if "version" in project and "version" not in _texts(project, "dynamic"):
        version = str(project["version"])
        places = _in_step(root, name, version, Place("pyproject.toml", PYPROJECT))
        return Declared(version, "pyproject.toml [project] version", places)
    poetry = _table(pyproject, "tool", "poetry")
    if not project and (poetry_version := _text(poetry, "version")) is not None:
        places = _in_step(root, _text(poetry, "name") or "", poetry_version, Place("pyproject.toml", POETRY))
        return Declared(poetry_version, "pyproject.toml [tool.poetry] version", places)
    if _from_vcs(pyproject):
        return Declared(None, "git tags, through the build backend", from_vcs=True)
    place = _dynamic_place(root, pyproject, name)
    if place is not None:
        what = "the version file" if place.format is VERSION_FILE else "__version__"
        read = _read(root, place)
        return Declared(read, f"{place.path} ({what})", _in_step(root, name, read, place))
    if (root / "setup.cfg").is_file() and (found := _read(root, Place("setup.cfg", SETUP_CFG))):
        places = _in_step(root, name or _setup_cfg_name(root), found, Place("setup.cfg", SETUP_CFG))
        return Declared(found, "setup.cfg [metadata] version", places)
    if (root / "setup.py").is_file() and (
        found_in_setup_py := _setup_py(
            root, name or _setup_cfg_name(root) or setuppy.keyword(root, "name") or ""
        )
    ):
        return found_in_setup_py
    return Declared(None, "the build backend (dynamic)")


def _setup_py(root: Path, name: str) -> Declared | None:
    """A setup.py's version read without running it: its setup(version="...") literal, else the
    package's `__version__` that setup.py reads (it names `__version__`); setuptools-scm's
    `use_scm_version` is a version from git."""
    if setuppy.mentions(root, "use_scm_version"):
        return Declared(None, "git tags, through the build backend", from_vcs=True)
    place = Place("setup.py", SETUP_PY)
    if (literal := _read(root, place)) is not None:
        return Declared(literal, 'setup.py setup(version="...")', _in_step(root, name, literal, place))
    module = package_module(root, name) if setuppy.mentions(root, "__version__") else None
    if module and (read := _read(root, Place(module, DUNDER))):
        return Declared(read, f"{module} (__version__, which setup.py reads)", (Place(module, DUNDER),))
    return None


def edits(root: Path, declared: Declared, new: str) -> dict[str, bytes]:
    """The new content of every file that declares the version, with `new` written in."""
    if declared.from_vcs:
        return {}
    if not declared.places:
        raise ConfigError(
            f"shipyard cannot tell where this project declares its version ({declared.source}): "
            'set [project] version, or a dynamic version read from a file, or use version-source = "project"'
        )
    return {place.path: _edited(root, place, new).encode("utf-8") for place in declared.places}


def assignment_edits(
    root: Path, files: Sequence[tuple[str, str]], new: str, edits: Mapping[str, bytes]
) -> dict[str, bytes]:
    """`edits` and, for each (PATH, NAME) of the version-files option, PATH with its first
    `NAME = "..."` set to `new` (on top of an edit of the same file). ConfigError for a missing file
    or name: raised while the edits are made, before any of them is written."""
    out = dict(edits)
    for path, name in files:
        where = f"version-files entry {path}:{name}"
        file = root / path
        if not file.resolve().is_relative_to(root.resolve()):
            raise ConfigError(f"{where}: {path} leads outside the project: name a file inside it")
        try:
            text = out[path].decode("utf-8") if path in out else file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{where}: {path} does not exist: fix the entry or create the file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: cannot read {path} as UTF-8 text ({exc})") from None
        assigned = Assignment(
            re.compile(
                rf"^(?P<lead>{re.escape(name)}\s*(?::\s*str\s*)?=\s*)(?P<q>['\"])(?P<v>[^'\"\n]*)(?P=q)",
                re.MULTILINE,
            )
        )
        edited = assigned.write(text, new)
        if edited is None:
            raise ConfigError(
                f'{where}: {path} holds no {name} = "..." at the start of a line: fix the entry'
            )
        if edited != text or path in out:  # a file already right needs no edit (and no stamped copy)
            out[path] = edited.encode("utf-8")
    return out


def _edited(root: Path, place: Place, new: str) -> str:
    edited = place.format.write((root / place.path).read_text(encoding="utf-8"), new)
    if edited is None:
        raise ConfigError(f'{place.path} holds no version assignment to update (__version__ = "...")')
    return edited


def vcs_env(name: str, version: str) -> dict[str, str]:
    """Tell setuptools-scm (and hatch-vcs, which uses it) the version instead of asking git."""
    normalized = re.sub(r"[-_.]+", "_", name).upper()
    return {
        "SETUPTOOLS_SCM_PRETEND_VERSION": version,
        f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{normalized}": version,
    }
