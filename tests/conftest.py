"""Shared fixtures: real index servers (tests.indexes), real git projects, the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.indexes")

from tests.indexes import TestIndex, client_env  # noqa: E402

pytest_plugins = ["tests.indexes", "tests.faultproxy"]

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]


@pytest.fixture(scope="session", autouse=True)
def _shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One build-env cache for the whole run (isolated from the user's), warm after the first build."""
    old = os.environ.get("SHIPYARD_CACHE_DIR")
    os.environ["SHIPYARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("shipyard-cache"))
    yield
    if old is None:
        os.environ.pop("SHIPYARD_CACHE_DIR", None)
    else:
        os.environ["SHIPYARD_CACHE_DIR"] = old


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty HOME: no ~/.pypirc, no user config reaches the command under test."""
    path = tmp_path / "home"
    path.mkdir()
    return path


ShipyardCLI = Callable[..., Run]
# a suite run inside CI must not make the command under test try trusted publishing
CI_MARKERS = frozenset({"GITHUB_ACTIONS", "GITLAB_CI", "ACTIONS_ID_TOKEN_REQUEST_URL", "PYPI_ID_TOKEN"})


@pytest.fixture
def shipyard(home: Path) -> ShipyardCLI:
    """Run the real `shipyard` command (python -m shipyard) with a controlled environment."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
        full = {
            k: v
            for k, v in client_env().items()
            if (not k.startswith("SHIPYARD_") or k == "SHIPYARD_CACHE_DIR") and k not in CI_MARKERS
        }
        full.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
        full.update(SHIPYARD_RETRY_DELAY="0.05")  # transient faults retried fast (tests may override)
        full.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "shipyard", *args],
            env=full,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


def git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout


def repositories_toml(**indexes: TestIndex) -> str:
    lines = []
    for name, index in indexes.items():
        lines += [
            f"[tool.shipyard.repositories.{name}]",
            f'upload-url = "{index.upload_url}"',
            f'simple-url = "{index.simple_url}"',
            "",
        ]
    return "\n".join(lines)


def make_project(
    root: Path,
    name: str = "tiny-pkg",
    version: str = "1.0.0",
    *,
    tool: str = "",
    with_tests: bool = True,
    backend: str = "hatchling",
) -> Path:
    """A small real project in its own git repository (one commit)."""
    module = name.replace("-", "_")
    root.mkdir(parents=True, exist_ok=True)
    build_system = {
        "hatchling": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        "setuptools": '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n',
    }[backend]
    (root / "pyproject.toml").write_text(
        f'{build_system}\n[project]\nname = "{name}"\nversion = "{version}"\n'
        f'description = "A test package"\nreadme = "README.md"\nrequires-python = ">=3.9"\n\n{tool}\n'
    )
    (root / "README.md").write_text(f"# {name}\n\nA package made by the tests.\n")
    (root / ".gitignore").write_text("dist/\n.shipyard/\n.env\n*.egg-info/\n__pycache__/\n")
    src = root / "src" / module
    src.mkdir(parents=True)
    (src / "__init__.py").write_text(f'__version__ = "{version}"\n\n\ndef answer() -> int:\n    return 42\n')
    if with_tests:
        (root / "tests").mkdir()
        (root / "tests" / f"test_{module}.py").write_text(
            f"import {module}\n\n\ndef test_answer():\n    assert {module}.answer() == 42\n"
        )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"{name} {version}")
    return root


def set_version(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    path.write_text(path.read_text().replace(f'version = "{old}"', f'version = "{new}"'))
    git(root, "commit", "-qam", f"version {new}")
