"""Where the project's tests are and how pytest is configured for them, as pytest itself finds it.

The configuration file is the one pytest would pick at the project root (its order: pytest.toml,
.pytest.toml, pytest.ini, .pytest.ini, pyproject.toml with [tool.pytest...], tox.ini with [pytest],
setup.cfg with [tool:pytest]). The tests are its `testpaths` when set, else tests/ or test/ (the
first that holds test files) and test files at the root. The run copies the configuration file, the
root conftest.py with the root modules it imports (helpers beside it, not the wheel's packages) and
the tests, and nothing else, so the sources cannot be imported by accident.
"""

from __future__ import annotations

import ast
import configparser
import dataclasses
import shlex
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ConfigError
from shipyard.tools.tomlread import tomllib

_TEST_DIRS = ("tests", "test")
_TEST_FILES = ("test_*.py", "*_test.py")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


@dataclass(frozen=True)
class TestLayout:
    config: str = ""  # the pytest configuration file, relative to the root ("" for none)
    paths: tuple[str, ...] = ()  # the test paths, relative to the root
    conftest: bool = False  # a root conftest.py goes along
    missing: str = ""  # why no tests were found, when none were
    left_out: tuple[str, ...] = ()  # testpaths that hold the package's sources (the wheel has them)
    helpers: tuple[str, ...] = ()  # root modules the root conftest.py imports, copied beside it

    def copy_to(self, root: Path, run: Path) -> list[Path]:
        """Copy the configuration, the root conftest.py and the tests under `run`; the copied paths."""
        run.mkdir(parents=True, exist_ok=True)
        for name in [self.config] * bool(self.config) + ["conftest.py"] * self.conftest:
            shutil.copy2(root / name, run / name)
        for name in self.helpers:
            if (root / name).is_dir():
                shutil.copytree(root / name, run / name, ignore=_IGNORED, dirs_exist_ok=True)
            else:
                shutil.copy2(root / name, run / name)
        copies = []
        for rel in self.paths:
            source, copy = root / rel, run / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, copy, ignore=_IGNORED, dirs_exist_ok=True)
            else:
                shutil.copy2(source, copy)
            copies.append(copy)
        return copies

    def as_json(self) -> dict[str, object]:
        return {
            "pytest_config": self.config or None,
            "test_paths": list(self.paths),
            "not_found": self.missing or None,
            "left_out": list(self.left_out),
        }


def find(root: Path, packages: Collection[str] = ()) -> TestLayout:
    """The pytest configuration and the tests of the project at `root`. A testpath that holds one
    of `packages` (the wheel's top-level packages: src/, or the package folder itself) is left out:
    copied, its sources would be imported instead of the installed wheel."""
    config, testpaths = _config(root)
    conftest = (root / "conftest.py").is_file()
    layout = _find(root, packages, config, testpaths, conftest)
    return dataclasses.replace(layout, helpers=_helpers(root, packages, layout.paths)) if conftest else layout


def _find(
    root: Path, packages: Collection[str], config: str, testpaths: list[str], conftest: bool
) -> TestLayout:
    if testpaths:
        paths = _expand(root, testpaths)
        left_out = tuple(p for p in paths if _holds_sources(root / p, packages))
        paths = tuple(p for p in paths if p not in left_out)
        if not paths:
            missing = f"testpaths ({' '.join(testpaths)}) in {config} match no test files"
            if left_out:
                missing += f" outside the package's sources ({' '.join(left_out)})"
            return TestLayout(config, (), conftest, missing, left_out)
        return TestLayout(config, paths, conftest, left_out=left_out)
    folder = next((d for d in _TEST_DIRS if (root / d).is_dir() and _has_tests(root / d)), None)
    files = sorted({p.name for pattern in _TEST_FILES for p in root.glob(pattern) if p.is_file()})
    paths = (*([folder] if folder else []), *files)
    if not paths:
        return TestLayout(config, (), conftest, "no test files in tests/, test/ or test_*.py at the root")
    return TestLayout(config, paths, conftest)


def _helpers(root: Path, packages: Collection[str], paths: tuple[str, ...]) -> tuple[str, ...]:
    """The root modules (a file, or a folder with __init__.py) the root conftest.py imports, other
    than the wheel's packages and the test paths already copied."""
    try:
        tree = ast.parse((root / "conftest.py").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return ()  # pytest says what is wrong with it
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [
        n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level
    ]
    found: list[str] = []
    for top in dict.fromkeys(name.split(".")[0] for name in imported):
        if top in packages or top == "conftest":
            continue
        for rel in (f"{top}.py", top):
            path = root / rel
            if rel not in paths and (path.is_file() or (path / "__init__.py").is_file()):
                found.append(rel)
                break
    return tuple(found)


def _holds_sources(path: Path, packages: Collection[str]) -> bool:
    return path.is_dir() and any(path.name == p or (path / p).is_dir() for p in packages)


def _has_tests(folder: Path) -> bool:
    return any(p.is_file() for pattern in _TEST_FILES for p in folder.rglob(pattern))


def _expand(root: Path, testpaths: list[str]) -> tuple[str, ...]:
    """testpaths as pytest reads them (globs allowed), kept inside the project and holding tests."""
    found: list[str] = []
    top = root.resolve()
    for entry in testpaths:
        matches = sorted(root.glob(entry)) if any(c in entry for c in "*?[") else [root / entry]
        for path in matches:
            resolved = path.resolve()
            if not resolved.is_relative_to(top) or resolved == top:
                continue  # a path outside the project (or the root itself) is no test folder to copy
            if (path.is_dir() and _has_tests(path)) or (path.is_file() and path.suffix == ".py"):
                rel = resolved.relative_to(top).as_posix()
                if rel not in found:
                    found.append(rel)
    return tuple(found)


def _config(root: Path) -> tuple[str, list[str]]:
    """The configuration file pytest would use at `root`, and its testpaths."""
    for name in ("pytest.toml", ".pytest.toml"):
        if (root / name).is_file():
            table = _toml(root / name).get("pytest")
            return name, _listed(table.get("testpaths") if isinstance(table, dict) else None)
    for name in ("pytest.ini", ".pytest.ini"):
        if (root / name).is_file():  # pytest takes these even without a [pytest] section
            return name, _ini_testpaths(root / name, "pytest")
    if (root / "pyproject.toml").is_file():
        tool = _toml(root / "pyproject.toml").get("tool", {})
        table = tool.get("pytest") if isinstance(tool, dict) else None
        if isinstance(table, dict) and table:
            ini = table.get("ini_options")
            source = ini if isinstance(ini, dict) else table
            return "pyproject.toml", _listed(source.get("testpaths"))
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if (root / name).is_file() and _ini_has(root / name, section):
            return name, _ini_testpaths(root / name, section)
    return "", []


def _toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read the pytest configuration in {path.name}: {exc}: fix it there"
        ) from None


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        reason = str(exc).splitlines()[0]
        raise ConfigError(
            f"cannot read the pytest configuration in {path.name}: {reason}: fix it there"
        ) from None
    return parser


def _ini_has(path: Path, section: str) -> bool:
    """Whether a shared file (tox.ini, setup.cfg) configures pytest; one this parser cannot read is
    left to the tools it is for."""
    try:
        return _ini(path).has_section(section)
    except ConfigError:
        return False


def _ini_testpaths(path: Path, section: str) -> list[str]:
    parser = _ini(path)
    if not parser.has_option(section, "testpaths"):
        return []
    return shlex.split(parser.get(section, "testpaths"), comments=True)
