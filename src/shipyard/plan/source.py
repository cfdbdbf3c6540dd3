"""Where a project declares its version, and the edits that write a new one there.

Covered: `[project] version` (with a matching `__version__` in the package kept in step), Poetry's
`[tool.poetry] version`, setup.cfg, and dynamic versions read from a file by hatchling, setuptools,
pdm or flit. Versions that the backend derives from git (setuptools-scm, hatch-vcs and friends) are
not written anywhere: the build is told the version instead (SETUPTOOLS_SCM_PRETEND_VERSION).
Edits are minimal: tomlkit for TOML (comments and layout kept), one substitution elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shipyard.errors import ConfigError

Kind = Literal["pyproject", "poetry", "assignment", "file", "setup.cfg"]

# backends and plugins that take the version from git tags
VCS_PLUGINS = ("setuptools-scm", "setuptools_scm", "hatch-vcs", "uv-dynamic-versioning", "versioningit")
_ASSIGNMENT = re.compile(
    r"^(?P<lead>(?:__version__|VERSION)\s*(?::\s*str\s*)?=\s*)(?P<q>['\"])(?P<v>[^'\"\n]*)(?P=q)",
    re.MULTILINE,
)
_SETUP_CFG = re.compile(r"^(?P<lead>version\s*=\s*)(?P<v>\S+)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Place:
    path: str  # relative to the project root
    kind: Kind


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
    if place.kind == "file":
        return text.strip() or None
    pattern = _SETUP_CFG if place.kind == "setup.cfg" else _ASSIGNMENT
    found = pattern.search(text)
    return found["v"] if found else None


def _module_files(root: Path, dotted: str) -> list[str]:
    path = dotted.replace(".", "/")
    return [f"{base}{path}{tail}" for base in ("src/", "") for tail in ("/__init__.py", ".py")]


def _first_existing(root: Path, candidates: list[str]) -> str | None:
    return next((c for c in candidates if (root / c).is_file()), None)


def _requires(pyproject: Mapping[str, Any]) -> str:
    build_system = pyproject.get("build-system", {})
    return " ".join([*build_system.get("requires", []), str(build_system.get("build-backend", ""))]).lower()


def _from_vcs(pyproject: Mapping[str, Any]) -> bool:
    tool = pyproject.get("tool", {})
    return (
        any(plugin in _requires(pyproject) for plugin in VCS_PLUGINS)
        or "setuptools_scm" in tool
        or tool.get("hatch", {}).get("version", {}).get("source") == "vcs"
        or tool.get("pdm", {}).get("version", {}).get("source") == "scm"
    )


def _dynamic_place(root: Path, pyproject: Mapping[str, Any], name: str) -> Place | None:
    tool = pyproject.get("tool", {})
    hatch_path = tool.get("hatch", {}).get("version", {}).get("path")
    if isinstance(hatch_path, str):
        return Place(hatch_path, "assignment")
    pdm = tool.get("pdm", {}).get("version", {})
    if pdm.get("source") == "file" and isinstance(pdm.get("path"), str):
        return Place(pdm["path"], "assignment")
    dynamic = tool.get("setuptools", {}).get("dynamic", {}).get("version", {})
    if isinstance(dynamic.get("attr"), str):
        module = dynamic["attr"].rsplit(".", 1)[0]
        found = _first_existing(root, _module_files(root, module))
        return Place(found, "assignment") if found else None
    if isinstance(dynamic.get("file"), str):
        return Place(dynamic["file"], "file")
    if "flit" in _requires(pyproject):
        module = tool.get("flit", {}).get("module", {}).get("name") or name.replace("-", "_")
        found = _first_existing(root, _module_files(root, module))
        return Place(found, "assignment") if found else None
    return None


def find(root: Path, pyproject: Mapping[str, Any]) -> Declared:
    """Where the project at `root` declares its version."""
    project = pyproject.get("project", {})
    name = str(project.get("name", ""))
    if "version" in project and "version" not in project.get("dynamic", []):
        version = str(project["version"])
        places = [Place("pyproject.toml", "pyproject")]
        module = _first_existing(root, _module_files(root, name.replace("-", "_").replace(".", "_")))
        if module and _read(root, Place(module, "assignment")) == version:
            places.append(Place(module, "assignment"))  # a __version__ kept in step by hand so far
        return Declared(version, "pyproject.toml [project] version", tuple(places))
    poetry = pyproject.get("tool", {}).get("poetry", {})
    if not project and isinstance(poetry.get("version"), str):
        return Declared(
            poetry["version"], "pyproject.toml [tool.poetry] version", (Place("pyproject.toml", "poetry"),)
        )
    if _from_vcs(pyproject):
        return Declared(None, "git tags, through the build backend", from_vcs=True)
    place = _dynamic_place(root, pyproject, name)
    if place is not None:
        what = "__version__" if place.kind == "assignment" else "the version file"
        return Declared(_read(root, place), f"{place.path} ({what})", (place,))
    if (root / "setup.cfg").is_file() and (found := _read(root, Place("setup.cfg", "setup.cfg"))):
        return Declared(found, "setup.cfg [metadata] version", (Place("setup.cfg", "setup.cfg"),))
    return Declared(None, "the build backend (dynamic)")


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


def _edited(root: Path, place: Place, new: str) -> str:
    text = (root / place.path).read_text(encoding="utf-8")
    if place.kind in ("pyproject", "poetry"):
        import tomlkit

        doc = tomlkit.parse(text)
        table: Any = doc["project"] if place.kind == "pyproject" else doc["tool"]["poetry"]
        table["version"] = new
        return tomlkit.dumps(doc)
    if place.kind == "file":
        old = text.strip()
        return text.replace(old, new, 1) if old else new + "\n"
    if place.kind == "setup.cfg":
        edited, count = _SETUP_CFG.subn(lambda m: m["lead"] + new, text, count=1)
    else:
        edited, count = _ASSIGNMENT.subn(lambda m: f"{m['lead']}{m['q']}{new}{m['q']}", text, count=1)
    if not count:
        raise ConfigError(f'{place.path} holds no version assignment to update (__version__ = "...")')
    return edited


def vcs_env(name: str, version: str) -> dict[str, str]:
    """Tell setuptools-scm (and hatch-vcs, which uses it) the version instead of asking git."""
    normalized = re.sub(r"[-_.]+", "_", name).upper()
    return {
        "SETUPTOOLS_SCM_PRETEND_VERSION": version,
        f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{normalized}": version,
    }
