"""setup.py-only projects (no pyproject.toml at all), from PyPI at test time and hand-made, through the
CLI against a real pypiserver: named and versioned without running setup.py, configured by
shipyard.toml, released end to end with their own tests, and bumped where setup.py declares it
(issue 23, point 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration

IGNORED = "dist/\n.shipyard/\nbuild/\n*.egg-info/\n__pycache__/\n.pytest_cache/\n*.so\n"


def shipyard_toml(index: TestIndex) -> str:
    """The options of a project with no pyproject.toml: [tool.shipyard]'s keys, at the top level."""
    return (
        'stages = ["staging"]\n\n[repositories.staging]\n'
        f'upload-url = "{index.upload_url}"\nsimple-url = "{index.simple_url}"\n'
    )


def in_git(tree: Path, index: TestIndex) -> dict[str, str]:
    assert not (tree / "pyproject.toml").exists() and (tree / "setup.py").is_file()
    (tree / "shipyard.toml").write_text(shipyard_toml(index))
    (tree / ".gitignore").write_text(IGNORED)
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "the sdist as released")
    return {"SHIPYARD_STAGING_USERNAME": index.username, "SHIPYARD_STAGING_PASSWORD": index.password}


@pytest.mark.parametrize(
    ("requirement", "name", "version", "source", "wheel"),
    [
        # a C extension (markupsafe/_speedups.c); setup.py reads __version__ from src/markupsafe
        ("markupsafe==1.1.1", "MarkupSafe", "1.1.1", "src/markupsafe/__init__.py", "-cp"),
        # pure, one module; setup.py imports six for six.__version__ (1.16.0 tests need _dbm)
        ("six==1.17.0", "six", "1.17.0", "six.py", "-py2.py3-none-any.whl"),
    ],
)
def test_a_real_setup_py_only_sdist_is_released_with_its_own_tests(
    requirement: str,
    name: str,
    version: str,
    source: str,
    wheel: str,
    shipyard: ShipyardCLI,
    real_sdist: RealSdist,
    tmp_path: Path,
    fresh_pypiserver: TestIndex,
) -> None:
    tree = real_sdist(requirement, tmp_path / "download")
    env = in_git(tree, fresh_pypiserver)

    shown = shipyard("version", "-C", str(tree))
    assert shown.code == 0, shown.text
    assert shown.out.startswith(f"{name} {version} (from {source} (__version__")
    plan = shipyard("plan", "--json", "-C", str(tree))
    assert plan.code == 0, plan.text
    [package] = json.loads(plan.out)["packages"]
    assert (package["name"], package["next_version"]) == (name, version)

    release = shipyard("release", "--tag", f"v{version}", "-C", str(tree), env=env)
    assert release.code == 0, release.text
    assert " passed" in release.text  # its own tests ran against the installed wheel
    [whl, sdist] = sorted(fresh_pypiserver.served_files(name.lower()), key=lambda f: f.endswith(".tar.gz"))
    assert sdist == f"{name.lower()}-{version}.tar.gz" and wheel in whl, (whl, sdist)
    assert git(tree, "tag", "--list") == f"v{version}\n"

    again = shipyard("release", "--tag", f"v{version}", "--no-test-install", "-C", str(tree), env=env)
    assert again.code == 0, again.text


def make_setup_py_project(root: Path, version_line: str = 'version="0.3.0",') -> Path:
    (root / "src" / "handmade").mkdir(parents=True)
    (root / "src" / "handmade" / "__init__.py").write_text('__version__ = "0.3.0"\n')
    (root / "setup.py").write_text(
        "from setuptools import find_packages, setup\n\n"
        "setup(\n"
        '    name="handmade",\n'
        f"    {version_line}  # the release writes here\n"
        '    package_dir={"": "src"},\n'
        '    packages=find_packages("src"),\n'
        ")\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_it.py").write_text(
        "import handmade\n\n\ndef test_version():\n    assert handmade.__version__\n"
    )
    return root


def test_version_plan_and_bump_of_a_setup_py_project_in_git(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tree = make_setup_py_project(tmp_path / "handmade")
    env = in_git(tree, fresh_pypiserver)
    git(tree, "tag", "v0.3.0")
    (tree / "src" / "handmade" / "thing.py").write_text("THING = 1\n")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "feat: a new thing")

    shown = shipyard("version", "--json", "-C", str(tree))
    assert shown.code == 0, shown.text
    doc = json.loads(shown.out)
    assert (doc["name"], doc["version"], doc["last_tag"]) == ("handmade", "0.3.0", "v0.3.0")
    assert doc["declared"]["files"] == ["setup.py", "src/handmade/__init__.py"]
    plan = shipyard("plan", "-C", str(tree))
    assert plan.code == 0, plan.text
    assert "next: 0.4.0 (tag v0.4.0)" in plan.out

    release = shipyard("release", "--bump", "-C", str(tree), env=env)
    assert release.code == 0, release.text
    setup_py = (tree / "setup.py").read_text()
    assert '    version="0.4.0",  # the release writes here\n' in setup_py
    assert (tree / "src/handmade/__init__.py").read_text() == '__version__ = "0.4.0"\n'
    assert sorted(fresh_pypiserver.served_files("handmade")) == [
        "handmade-0.4.0-py3-none-any.whl",
        "handmade-0.4.0.tar.gz",
    ]
    assert git(tree, "status", "--porcelain") == ""
    assert "v0.4.0" in git(tree, "tag", "--list")


def test_the_options_of_a_setup_py_project_come_from_its_shipyard_toml(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    tree = make_setup_py_project(tmp_path / "handmade", "version=VERSION,")
    (tree / "setup.py").write_text('VERSION = "0.3.0"\n' + (tree / "setup.py").read_text())
    (tree / "shipyard.toml").write_text('tag = "release/{version}"\nstages = ["local"]\n')
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "first")
    plan = shipyard("plan", "-C", str(tree))
    assert plan.code == 0, plan.text
    assert "next: 0.3.0 (tag release/0.3.0)" in plan.out
    (tree / "shipyard.toml").write_text('stages = ["local"]\nnot-an-option = 1\n')
    broken = shipyard("version", "-C", str(tree))
    assert broken.code == 2, broken.text
    assert broken.err.startswith("error: unknown key 'not-an-option' in shipyard.toml")
    assert len(broken.err.strip().splitlines()) == 1
