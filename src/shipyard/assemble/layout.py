"""A packaging repository's layout: which folder holds what, and which packages live there.

One package per module: `modules/<name>.py` (or a folder `modules/<name>/`), and by the same name,
optionally, `cli/<name>.py`, `api/<name>.py`, `apps/<name>.py`, `docs/<name>/`, `data/<name>/`,
`notebooks/<name>.ipynb`, `tests/<name>/`; `modules/components/` holds helpers (files, or folders
with or without `__init__.py`) vendored into the packages that import them. Folder names come from
a package-auto-assembler `.paa.config` (with paa's defaults for every key it leaves out, so that its
users switch without moving files), and `[layout]` in `shipyard.toml` overrides either.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from shipyard.assemble import confine, paa
from shipyard.errors import ConfigError, did_you_mean
from shipyard.tools.tomlread import tomllib

CONFIG = "shipyard.toml"
# the README package table sits between these (scaffold writes them, record/table fills them)
TABLE_START, TABLE_END = "<!-- shipyard:packages -->", "<!-- /shipyard:packages -->"
MAPPING_FILE = "requirements-map.toml"  # import name -> distribution, for the imports no table knows

PAA_CONFIG = paa.CONFIG
FOLDERS = ("modules", "components", "cli", "api", "apps", "docs", "data", "notebooks", "tests")
_PAA_METADATA = re.compile(r"^__package_metadata__\s*(?::[^=\n]*)?=", re.MULTILINE)


@dataclass(frozen=True)
class Layout:
    modules: str = "modules"
    components: str = "modules/components"
    cli: str = "cli"
    api: str = "api"
    apps: str = "apps"
    docs: str = "docs"
    data: str = "data"
    notebooks: str = "notebooks"
    tests: str = "tests"
    package_data: str = "data"  # the folder inside each package that data/NAME/ becomes
    exclude: tuple[str, ...] = ()  # modules that are no packages

    def folders(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in FOLDERS}


@dataclass(frozen=True)
class Module:
    """One package-to-be: its import name and where its files are."""

    import_name: str
    path: Path  # modules/<name>.py, or the folder modules/<name>/

    @property
    def name(self) -> str:
        """The distribution name: underscores become dashes, as paa's users expect."""
        return self.import_name.replace("_", "-")

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()


@dataclass(frozen=True)
class Repo:
    root: Path
    layout: Layout
    table: Mapping[str, object]  # shipyard.toml, for the release options and [packages.NAME]
    source: str  # where the layout came from
    paa: paa.PaaConfig | None = None  # the .paa.config, when the repository has one

    def folder(self, kind: str) -> Path:
        return self.root / str(getattr(self.layout, kind))

    def modules(self) -> list[Module]:
        """Every module in the modules folder that is a package, sorted by name (listed once)."""
        return list(self._modules[0])

    def skipped(self) -> dict[str, str]:
        """Modules that are no packages -> why: excluded, or (paa) without __package_metadata__."""
        return dict(self._modules[1])

    @functools.cached_property
    def _modules(self) -> tuple[tuple[Module, ...], Mapping[str, str]]:
        folder, components = self.folder("modules"), self.folder("components")
        if not folder.is_dir():
            raise ConfigError(f"{folder} does not exist: create it, or set [layout] modules in {CONFIG}")
        excluded = {canonicalize_name(n) for n in self.layout.exclude}
        found, skipped = [], {}
        for path in sorted(folder.iterdir()):
            if path == components or path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py" and path.is_file():
                module = Module(path.stem, path)
            elif path.is_dir() and (path / "__init__.py").is_file():
                module = Module(path.name, path)
            else:
                continue
            if canonicalize_name(module.name) in excluded:
                skipped[module.name] = f"excluded by [layout] exclude in {CONFIG}"
            elif self.paa is not None and not _PAA_METADATA.search(_source(module)):
                skipped[module.name] = "no __package_metadata__ (package-auto-assembler skips it too)"
            else:
                found.append(module)
        return tuple(found), skipped

    def module(self, name: str) -> Module:
        wanted = name.replace("-", "_")
        for module in self.modules():
            if module.import_name == wanted:
                return module
        why = self.skipped().get(wanted.replace("_", "-"))
        if why:
            raise ConfigError(f"module '{name}' is no package: {why}")
        raise ConfigError(
            f"no module '{name}' in {self.layout.modules}/ (looked for {wanted}.py or {wanted}/)"
        )

    def tag_name(self, module: Module) -> str:
        """The name `{package}` stands for in its tags: paa tags name the module (`v1.0.5_my_mod`)."""
        return module.import_name if self.paa is not None else module.name

    def components(self) -> dict[str, Path]:
        """Component import name -> its file or folder (a folder needs no `__init__.py`)."""
        return dict(self._components)

    @functools.cached_property
    def _components(self) -> dict[str, Path]:
        folder = self.folder("components")
        if not folder.is_dir():
            return {}
        found = {p.stem: p for p in folder.glob("*.py") if p.name != "__init__.py"}
        found.update(
            {p.name: p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
        )
        return found

    def requirement_map(self) -> dict[str, str]:
        """The repository's import name -> distribution overrides: paa's .paa/package_mapping.json,
        then requirements-map.toml (which wins)."""
        return dict(self._requirement_map)

    @functools.cached_property
    def _requirement_map(self) -> dict[str, str]:
        found = paa.mapping(self.root)
        path = self.root / MAPPING_FILE
        if not path.is_file():
            return found
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        if not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"{path}: each entry maps an import name to a distribution name (a string)")
        return {**found, **table}

    def files_of(self, module: Module) -> list[Path]:
        """Every path that belongs to `module` (its change set; components are added by the caller)."""
        name, layout = module.import_name, self.layout
        candidates = [
            module.path,
            self.root / layout.cli / f"{name}.py",
            self.root / layout.api / f"{name}.py",
            self.root / layout.apps / f"{name}.py",
            self.root / layout.docs / name,
            self.root / layout.data / name,
            self.root / layout.notebooks / f"{name}.ipynb",
            self.root / layout.tests / name,
        ]
        if self.paa is not None:  # the other folders paa's workflow watches
            other = self.paa.other
            candidates += [
                self.root / other["mcp_dir"] / f"{name}.py",
                self.root / other["drawio_dir"] / f"{name}.drawio",
                self.root / other["licenses_dir"] / name,
            ]
        return [p for p in candidates if p.exists()]


def _source(module: Module) -> str:
    path = module.path / "__init__.py" if module.is_folder else module.path
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "__package_metadata__ = None"  # unreadable: kept, so that assembling it says why


def _given_layout(table: Mapping[str, object], layout: Layout) -> Layout:
    """`layout` with `table` ([layout] of shipyard.toml) applied (folders, package-data, exclude)."""
    given = dict(table)
    known = [*FOLDERS, "package-data", "exclude"]
    unknown = sorted(set(given) - set(known))
    if unknown:
        hint = did_you_mean(unknown[0], known)
        raise ConfigError(
            f"unknown key '{unknown[0]}' in [layout] of {CONFIG}{hint} (known: {', '.join(known)})"
        )
    exclude = given.pop("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(v, str) and v for v in exclude):
        raise ConfigError(f"[layout] exclude in {CONFIG} must be a list of module names")
    if "package-data" in given:
        given["package_data"] = given.pop("package-data")
    folders = {key: value for key, value in given.items() if isinstance(value, str) and value}
    if len(folders) != len(given):
        raise ConfigError(f"[layout] folders in {CONFIG} must be non-empty strings")
    for key, value in folders.items():
        confine.relative(value, f"[layout] {key} in {CONFIG}")
    return replace(layout, **folders, exclude=tuple(exclude))


def load(root: Path) -> Repo:
    """The packaging repository at `root`: .paa.config (with paa's defaults) or shipyard's default
    layout, with shipyard.toml's [layout] over it."""
    root = root.resolve()
    table: dict[str, object] = {}
    path = root / CONFIG
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    layout, source, paa_config = Layout(), "the default layout", None
    if (root / PAA_CONFIG).is_file():
        paa_config = paa.read_config(root / PAA_CONFIG)
        folders: dict[str, Any] = {**paa_config.folders, "package_data": "artifacts"}  # kwargs of replace
        layout, source = replace(layout, **folders), PAA_CONFIG
        table = {"tag": paa.TAG, **table}  # paa's tags, unless shipyard.toml names another pattern
    if isinstance(given := table.get("layout"), dict):
        layout = _given_layout(given, layout)
        source = f"[layout] in {CONFIG}" + (f" over {PAA_CONFIG}" if paa_config else "")
    return Repo(root, layout, table, source, paa_config)


def is_packaging_repo(root: Path) -> bool:
    return (root / CONFIG).is_file() or (root / PAA_CONFIG).is_file()
