"""package-auto-assembler's conventions, read as they are (paa 1.0.5's documented defaults).

`.paa.config` is YAML; every key is optional, and a missing or empty one means paa's default
folder. Besides the folders, its metadata keys apply to every package: `license_label`,
`classifiers` (a module's own `Development Status` replaces the config's), `docs_url`,
`license_path`, `notice_path`. Released versions are tracked in
`.paa/tracking/lsts_package_versions.yml` (`module: version`), the import name -> distribution
mapping is `.paa/package_mapping.json`, and tags are `v<version>_<module>` (early ones end in `.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard.assemble import confine
from shipyard.errors import ConfigError

CONFIG = ".paa.config"
TRACKING = ".paa/tracking/lsts_package_versions.yml"
MAPPING = ".paa/package_mapping.json"
TAG = "v{version}_{package}"
DOCS_DIR = ".paa/docs"  # where paa renders drawio diagrams (NAME-diagram.png)

# .paa.config key -> (our layout field, paa's default); paa's own folders we do not build from
# (mcp_dir, drawio_dir, licenses_dir) are kept for change detection and licences
FOLDERS = {
    "module_dir": ("modules", "python_modules"),
    "dependencies_dir": ("components", "python_modules/components"),
    "cli_dir": ("cli", "cli"),
    "api_routes_dir": ("api", "api_routes"),
    "streamlit_dir": ("apps", "streamlit"),
    "artifacts_dir": ("data", "artifacts"),
    "extra_docs_dir": ("docs", "extra_docs"),
    "example_notebooks_path": ("notebooks", "example_notebooks"),
    "tests_dir": ("tests", "tests"),
}
OTHER_FOLDERS = {"mcp_dir": "mcp", "drawio_dir": "drawio", "licenses_dir": "licenses", "docs_dir": DOCS_DIR}


@dataclass(frozen=True)
class PaaConfig:
    """What a `.paa.config` says, with paa's defaults for what it leaves out."""

    folders: Mapping[str, str]  # our layout field -> folder
    other: Mapping[str, str]  # mcp_dir, drawio_dir, licenses_dir, docs_dir -> folder
    license_label: str = ""
    classifiers: tuple[str, ...] = ()
    docs_url: str = ""
    license_path: str = ""
    notice_path: str = ""


def _folder(value: object, default: str, key: str, path: Path) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default  # paa: a missing, null or empty key is its default
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a folder name, not {value!r}")
    return confine.relative(value.strip().removeprefix("./").rstrip("/") or ".", f"{path}: {key}")


def _text(given: Mapping[str, object], key: str, path: Path) -> str:
    value = given.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ConfigError(f"{path}: {key} must be a string")
    return str(value)


def read_config(path: Path) -> PaaConfig:
    import yaml  # only a repository in paa's layout pays for it

    try:
        given = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not readable YAML: {exc}") from None
    if not isinstance(given, dict):
        raise ConfigError(f"{path}: expected `key: value` lines, as paa writes them")
    folders = {ours: _folder(given.get(key), default, key, path) for key, (ours, default) in FOLDERS.items()}
    other = {key: _folder(given.get(key), default, key, path) for key, default in OTHER_FOLDERS.items()}
    classifiers = given.get("classifiers") or []
    if not isinstance(classifiers, list) or not all(isinstance(c, str) for c in classifiers):
        raise ConfigError(f"{path}: classifiers must be a list of strings")
    return PaaConfig(
        folders,
        other,
        license_label=_text(given, "license_label", path),
        classifiers=tuple(classifiers),
        docs_url=_text(given, "docs_url", path),
        license_path=confine.relative(_text(given, "license_path", path), f"{path}: license_path"),
        notice_path=confine.relative(_text(given, "notice_path", path), f"{path}: notice_path"),
    )


def _module_key(name: str) -> str:
    return canonicalize_name(name.removesuffix(".py"))


def tracked_versions(root: Path) -> dict[str, Version]:
    """Canonical package name -> the version paa's tracking file records as released."""
    path = root / TRACKING
    if not path.is_file():
        return {}
    import yaml

    try:
        given = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not readable YAML: {exc}") from None
    if not isinstance(given, dict):
        raise ConfigError(f"{path}: expected `module: version` lines, as paa writes them")
    found = {}
    for name, text in given.items():
        try:
            found[_module_key(str(name))] = Version(str(text))
        except InvalidVersion:
            raise ConfigError(f"{path}: {name}: '{text}' is not a PEP 440 version") from None
    return found


def mapping(root: Path) -> dict[str, str]:
    """paa's import name -> distribution mapping of the repository (`{}` when it has none)."""
    path = root / MAPPING
    if not path.is_file():
        return {}
    try:
        given = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path} is not readable JSON: {exc}") from None
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise ConfigError(f"{path}: each entry maps an import name to a distribution name (a string)")
    return {str(k): v for k, v in given.items()}


def classifiers(config: tuple[str, ...], own: tuple[str, ...]) -> tuple[str, ...]:
    """The config's classifiers and the module's (paa's merge: the module's Development Status wins)."""
    if any(c.startswith("Development Status") for c in own):
        config = tuple(c for c in config if not c.startswith("Development Status"))
    return tuple(dict.fromkeys((*config, *own)))
