"""A packaging repository's layout: which folder holds what, and which packages live there.

One package per module: `modules/<name>.py` (or a folder `modules/<name>/`), and by the same name,
optionally, `cli/<name>.py`, `api/<name>.py`, `apps/<name>.py`, `docs/<name>/`, `data/<name>/`,
`notebooks/<name>.ipynb`, `tests/<name>/`; `modules/components/` holds helpers vendored into the
packages that import them. Folder names come from `[layout]` in `shipyard.toml`, or from a
package-auto-assembler `.paa.config`, so that its users switch without moving files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from shipyard.errors import ConfigError
from shipyard.tools.tomlread import tomllib

CONFIG = "shipyard.toml"
PAA_CONFIG = ".paa.config"
MAPPING_FILE = "requirements-map.toml"  # import name -> distribution, for the imports no table knows

# .paa.config key -> our folder
_PAA_KEYS = {
    "module_dir": "modules",
    "cli_dir": "cli",
    "api_routes_dir": "api",
    "streamlit_dir": "apps",
    "artifacts_dir": "data",
    "extra_docs_dir": "docs",
    "example_notebooks_path": "notebooks",
    "tests_dir": "tests",
}


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

    def folders(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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
    table: Mapping[str, Any]  # shipyard.toml, for the release options and [packages.NAME]
    source: str  # where the layout came from

    def folder(self, kind: str) -> Path:
        return self.root / str(getattr(self.layout, kind))

    def modules(self) -> list[Module]:
        """Every module in the modules folder, sorted by name (listed once per Repo)."""
        return list(self._modules)

    @functools.cached_property
    def _modules(self) -> tuple[Module, ...]:
        folder, components = self.folder("modules"), self.folder("components")
        if not folder.is_dir():
            raise ConfigError(f"{folder} does not exist: create it, or set [layout] modules in {CONFIG}")
        found = []
        for path in sorted(folder.iterdir()):
            if path == components or path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py" and path.is_file():
                found.append(Module(path.stem, path))
            elif path.is_dir() and (path / "__init__.py").is_file():
                found.append(Module(path.name, path))
        return tuple(found)

    def module(self, name: str) -> Module:
        wanted = name.replace("-", "_")
        for module in self.modules():
            if module.import_name == wanted:
                return module
        raise ConfigError(
            f"no module '{name}' in {self.layout.modules}/ (looked for {wanted}.py or {wanted}/)"
        )

    def components(self) -> dict[str, Path]:
        """Component import name -> its file or folder."""
        return dict(self._components)

    @functools.cached_property
    def _components(self) -> dict[str, Path]:
        folder = self.folder("components")
        if not folder.is_dir():
            return {}
        found = {p.stem: p for p in folder.glob("*.py") if p.name != "__init__.py"}
        found.update({p.name: p for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").is_file()})
        return found

    def requirement_map(self) -> dict[str, str]:
        """The repository's import name -> distribution overrides (requirements-map.toml)."""
        return dict(self._requirement_map)

    @functools.cached_property
    def _requirement_map(self) -> dict[str, str]:
        path = self.root / MAPPING_FILE
        if not path.is_file():
            return {}
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        if not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"{path}: each entry maps an import name to a distribution name (a string)")
        return dict(table)

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
        return [p for p in candidates if p.exists()]


def _paa_config(text: str) -> dict[str, str]:
    """The `key: value` lines of a .paa.config (YAML written by paa; nested values are not ours)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"([A-Za-z_]+)\s*:\s*(.*?)\s*$", line)
        if match and match[1] in _PAA_KEYS and match[2] and match[2] not in ("null", "~"):
            found[_PAA_KEYS[match[1]]] = match[2].strip("'\"").strip("./").rstrip("/") or "."
    return found


def load(root: Path) -> Repo:
    """The packaging repository at `root`: shipyard.toml's [layout], else .paa.config, else defaults."""
    root = root.resolve()
    table: dict[str, Any] = {}
    path = root / CONFIG
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    layout, source = Layout(), "the default layout"
    if isinstance(table.get("layout"), dict):
        given = table["layout"]
        unknown = sorted(set(given) - set(layout.folders()))
        if unknown:
            raise ConfigError(
                f"unknown key '{unknown[0]}' in [layout] of {CONFIG} (known: {', '.join(layout.folders())})"
            )
        if not all(isinstance(v, str) and v for v in given.values()):
            raise ConfigError(f"[layout] folders in {CONFIG} must be non-empty strings")
        layout, source = replace(layout, **given), f"[layout] in {CONFIG}"
    elif (root / PAA_CONFIG).is_file():
        given = _paa_config((root / PAA_CONFIG).read_text(encoding="utf-8"))
        if "modules" in given:
            given.setdefault("components", f"{given['modules']}/components")
        layout, source = replace(layout, **given), PAA_CONFIG
    return Repo(root, layout, table, source)


def is_packaging_repo(root: Path) -> bool:
    return (root / CONFIG).is_file() or (root / PAA_CONFIG).is_file()
