"""Real git projects and the shipyard CLI run in a subprocess: what most tests start from."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.indexes import TestIndex, client_env

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


ShipyardCLI = Callable[..., Run]


# a suite run inside CI must not make the command under test try trusted publishing
CI_MARKERS = frozenset({"GITHUB_ACTIONS", "GITLAB_CI", "ACTIONS_ID_TOKEN_REQUEST_URL", "PYPI_ID_TOKEN", "CI"})
# twine's and uv's target and credential variables the developer may have set (TWINE_*: client_env)
HABITS = ("UV_PUBLISH_", "PYPIRC_PATH")


def command_env(home: Path) -> dict[str, str]:
    """The environment a command under test runs with: no pip or twine settings (client_env), no
    SHIPYARD_* of the developer's but the shared cache, no CI markers, no UV_PUBLISH_* or PYPIRC_PATH,
    an empty HOME, no keyring."""
    env = {
        k: v
        for k, v in client_env().items()
        if (not k.startswith("SHIPYARD_") or k == "SHIPYARD_CACHE_DIR")
        and k not in CI_MARKERS
        and not k.startswith(HABITS)
    }
    env.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    return env


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


def staged(tree: Path, index: TestIndex) -> dict[str, str]:
    """The project's one stage is `index`; the credentials for it."""
    text = (tree / "pyproject.toml").read_text()
    (tree / "pyproject.toml").write_text(
        text + '\n[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=index)
    )
    return {"SHIPYARD_STAGING_USERNAME": index.username, "SHIPYARD_STAGING_PASSWORD": index.password}


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
    """The project's version set to `new`, in pyproject.toml and its package's `__version__`, as a
    maintainer does (a stale `__version__` is refused by the release)."""
    path = root / "pyproject.toml"
    path.write_text(path.read_text().replace(f'version = "{old}"', f'version = "{new}"'))
    for init in root.glob("src/*/__init__.py"):
        init.write_text(init.read_text().replace(f'__version__ = "{old}"', f'__version__ = "{new}"'))
    git(root, "commit", "-qam", f"version {new}")


def commit(root: Path, message: str, path: str = "README.md") -> None:
    with (root / path).open("a") as f:
        f.write(f"# {message}\n" if path.endswith(".py") else f"{message}\n")
    git(root, "commit", "-qam", message)


def tag(root: Path, name: str) -> None:
    git(root, "tag", "-a", name, "-m", name)


def snapshot(root: Path) -> tuple[str, str, str, bytes]:
    """What a refusal must not change: HEAD, tags, `git status`, pyproject's bytes."""
    return (
        git(root, "rev-parse", "HEAD"),
        git(root, "tag", "--list", "-n1"),
        git(root, "status", "--porcelain", "--untracked-files=all"),
        (root / "pyproject.toml").read_bytes(),
    )


# tiny-pkg 1.0.0 declared the Poetry way ([tool.poetry] version), its module under src/
POETRY_PYPROJECT = """\
[build-system]
requires = ["poetry-core>=1.0"]
build-backend = "poetry.core.masonry.api"

[tool.poetry]
name = "tiny-pkg"
version = "1.0.0"
description = "A test package"
authors = ["Test <test@example.invalid>"]
readme = "README.md"
packages = [{ include = "tiny_pkg", from = "src" }]
"""


def built(root: Path, shipyard: ShipyardCLI, pyproject_tail: str = "", **files: str) -> Path:
    """`root`'s project with `pyproject_tail` appended and `files` (path: text) written, then built."""
    with (root / "pyproject.toml").open("a") as f:
        f.write(pyproject_tail)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "edit")
    run = shipyard("build", str(root))
    assert run.code == 0, run.text
    return root
