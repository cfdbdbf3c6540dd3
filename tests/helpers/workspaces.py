"""Real workspaces in real git repositories: a uv workspace of three members (beta requires alpha
through a `{ workspace = true }` source and a range), and a plain folder of hatch, poetry and
setuptools projects declared with [tool.shipyard.workspace]."""

from __future__ import annotations

import subprocess
from pathlib import Path

from uv import find_uv_bin

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import git, repositories_toml

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
POETRY = '[build-system]\nrequires = ["poetry-core>=1.0"]\nbuild-backend = "poetry.core.masonry.api"\n'
IGNORE = "dist/\n.shipyard/\n*.egg-info/\n__pycache__/\n.venv/\nbuild/\n"


def _module(folder: Path, name: str, body: str, test: str) -> None:
    module = name.replace("-", "_")
    src = folder / "src" / module
    src.mkdir(parents=True, exist_ok=True)
    (src / "__init__.py").write_text(body)
    (folder / "README.md").write_text(f"# {name}\n")
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "tests" / f"test_{module}.py").write_text(test)


def _pep621(
    folder: Path, name: str, version: str, deps: list[str], build: str = HATCH, extra: str = ""
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(f'"{d}"' for d in deps)
    (folder / "pyproject.toml").write_text(
        f'{build}\n[project]\nname = "{name}"\nversion = "{version}"\ndescription = "{name} of the tests"\n'
        f'readme = "README.md"\nrequires-python = ">=3.9"\ndependencies = [{listed}]\n{extra}'
    )


def _stages(index: TestIndex | None) -> str:
    if index is None:
        return '[tool.shipyard]\nstages = ["local"]\n'
    return '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=index)


def _commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def uv_workspace(root: Path, index: TestIndex | None = None) -> Path:
    """packages/alpha, packages/beta (requires alpha>=1.0,<2 from the workspace), packages/gamma;
    a root uv.lock made by uv itself, offline."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/scratch"]\n\n' + _stages(index)
    )
    (root / "README.md").write_text("# a workspace\n")
    (root / ".gitignore").write_text(IGNORE)
    packages = root / "packages"
    _pep621(packages / "alpha", "alpha", "1.0.0", [])
    _module(
        packages / "alpha",
        "alpha",
        "def one() -> int:\n    return 1\n",
        "import alpha\n\n\ndef test_one():\n    assert alpha.one() == 1\n",
    )
    _pep621(
        packages / "beta",
        "beta",
        "0.3.0",
        ["alpha>=1.0,<2"],
        extra="\n[tool.uv.sources]\nalpha = { workspace = true }\n",
    )
    _module(
        packages / "beta",
        "beta",
        "import alpha\n\n\ndef two() -> int:\n    return alpha.one() + 1\n",
        "import beta\n\n\ndef test_two():\n    assert beta.two() == 2\n",
    )
    _pep621(packages / "gamma", "gamma", "2.1.0", [])
    _module(
        packages / "gamma",
        "gamma",
        "def three() -> int:\n    return 3\n",
        "import gamma\n\n\ndef test_three():\n    assert gamma.three() == 3\n",
    )
    (packages / "scratch").mkdir()
    (packages / "scratch" / "notes.txt").write_text("not a member: excluded\n")
    git(root, "init", "-q")
    subprocess.run([find_uv_bin(), "lock", "--offline", "--quiet"], cwd=root, check=True, capture_output=True)
    _commit_all(root, "chore: a uv workspace")
    return root


def mixed_folder(root: Path, index: TestIndex | None = None) -> Path:
    """libs/hatched (hatchling, version in __about__.py), libs/poetic (poetry-core, requires
    hatched ^1.0), libs/tools (setuptools, setup.cfg-free, [project] version)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.shipyard]\nstages = ["local"]\n\n[tool.shipyard.workspace]\nmembers = ["libs/*"]\n'
        if index is None
        else _stages(index) + '\n[tool.shipyard.workspace]\nmembers = ["libs/*"]\n'
    )
    (root / "README.md").write_text("# a folder of projects\n")
    (root / ".gitignore").write_text(IGNORE)
    hatched = root / "libs" / "hatched"
    hatched.mkdir(parents=True)
    (hatched / "pyproject.toml").write_text(
        f'{HATCH}\n[project]\nname = "hatched"\ndynamic = ["version"]\nreadme = "README.md"\n'
        'requires-python = ">=3.9"\n\n[tool.hatch.version]\npath = "src/hatched/__about__.py"\n'
    )
    _module(
        hatched,
        "hatched",
        "def h() -> str:\n    return 'h'\n",
        "import hatched\n\n\ndef test_h():\n    assert hatched.h() == 'h'\n",
    )
    (hatched / "src" / "hatched" / "__about__.py").write_text('__version__ = "1.2.0"\n')
    poetic = root / "libs" / "poetic"
    poetic.mkdir(parents=True)
    (poetic / "pyproject.toml").write_text(
        f'{POETRY}\n[tool.poetry]\nname = "poetic"\nversion = "0.5.0"\ndescription = "poetic"\n'
        'authors = ["Test <test@example.invalid>"]\nreadme = "README.md"\npackages = [{ include = "poetic", from = "src" }]\n\n'
        '[tool.poetry.dependencies]\npython = ">=3.9"\nhatched = "^1.0"\n'
    )
    _module(
        poetic,
        "poetic",
        "import hatched\n\n\ndef p() -> str:\n    return hatched.h() + 'p'\n",
        "import poetic\n\n\ndef test_p():\n    assert poetic.p() == 'hp'\n",
    )
    tools = root / "libs" / "tools"
    _pep621(tools, "wstools", "3.0.0", [], build=SETUPTOOLS)
    _module(
        tools,
        "wstools",
        "def t() -> str:\n    return 't'\n",
        "import wstools\n\n\ndef test_t():\n    assert wstools.t() == 't'\n",
    )
    git(root, "init", "-q")
    _commit_all(root, "chore: a folder of projects")
    return root


def change(root: Path, rel: str, message: str) -> None:
    """Append a line to `rel` (a .py file gets a comment) and commit it with `message`."""
    path = root / rel
    with path.open("a") as f:
        f.write("# changed\n" if rel.endswith(".py") else "changed\n")
    git(root, "commit", "-qam", message)
