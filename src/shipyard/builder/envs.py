"""Isolated build environments, cached between runs.

An isolated build needs only the backend's `build-system.requires`. Making that environment anew
for every build (what `python -m build` and `uv build` do) costs most of a small project's build
time, so each set of requirements gets one environment, made once with uv and reused: still
isolated from the user's environment, a tenth of the time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from shipyard.errors import BuildError, InstallError
from shipyard.tools import venvs
from shipyard.tools.lock import file_lock
from shipyard.tools.tomlread import tomllib
from shipyard.tools.workdirs import cache_dir

_READY = ".shipyard-ready"


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with file_lock(path):
        yield


def _normalized(requires: Iterable[str]) -> list[str]:
    out = []
    for text in requires:
        try:
            out.append(str(Requirement(text)))
        except InvalidRequirement as exc:
            raise BuildError(f"invalid build requirement '{text}': {exc}") from None
    return sorted(set(out))


class CachedEnv:
    """A build environment (the `build.env.IsolatedEnv` protocol) holding exactly `requires`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def python_executable(self) -> str:
        return str(venvs.python_in(self.path))

    def make_extra_environ(self) -> dict[str, str]:
        scripts = str(venvs.python_in(self.path).parent)
        return {"PATH": scripts + os.pathsep + os.environ.get("PATH", "")}


def environment(requires: Iterable[str]) -> CachedEnv:
    """The cached environment for `requires`, made (under a lock) if it does not exist yet."""
    wanted = _normalized(requires)
    path = cache_dir() / "build-envs" / _key(sys.version, sys.executable, *wanted)
    env = CachedEnv(path)
    if (path / _READY).exists():
        return env
    with _locked(path.with_name(path.name + ".lock")):
        if (path / _READY).exists():
            return env
        shutil.rmtree(path, ignore_errors=True)
        try:
            python = venvs.create(path, sys.executable)
            if wanted:
                venvs.install(python, wanted, what="build requirements " + ", ".join(wanted))
        except InstallError as exc:
            shutil.rmtree(path, ignore_errors=True)
            raise BuildError(exc.message, detail=exc.detail) from None
        (path / _READY).write_text(json.dumps(wanted) + "\n")
    return env


def remembered_requires(kind: str, srcdir: Path, backend: str, requires: Iterable[str]) -> Path:
    """Where the answer of `get_requires_for_build_<kind>` is kept for this project configuration.

    The answer depends on the backend and on the files that configure it, so they make the key;
    the project's version is left out, as every release changes it and no backend asks for more
    because of it.
    """
    parts = [kind, backend, *sorted(requires), _configuration(srcdir / "pyproject.toml")]
    for name in ("setup.py", "setup.cfg"):
        file = srcdir / name
        parts.append(hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-")
    return cache_dir() / "build-requires" / (_key(*parts) + ".json")


def _configuration(pyproject: Path) -> str:
    try:
        with pyproject.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return "-"
    project = data.get("project")
    if isinstance(project, dict):
        project.pop("version", None)
    return json.dumps(data, sort_keys=True, default=str)
