"""test-install on real sdists from PyPI, each with a layout of its own: their tests run as their
developers run them (before, each of these ran no test at all, or failed for a missing requirement)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from shipyard.check import testreqs
from shipyard.tools.tomlread import tomllib
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, repositories_toml
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration

# requirement: (where the test requirements come from, pytest's config file, test paths, imported)
LAYOUTS = {
    # [dependency-groups] dev, testpaths = "testing" in [tool.pytest.ini_options]
    "iniconfig==2.3.1": ("[dependency-groups] dev", "pyproject.toml", ["testing"], ["iniconfig"]),
    # [dependency-groups] testing, testpaths in tox.ini's [pytest]
    "pluggy==1.7.0": ("[dependency-groups] testing", "tox.ini", ["testing"], ["pluggy"]),
    # a namespace package; the test extra, pytest.ini, a root conftest.py and a root test file
    "jaraco.functools==4.6.0": (
        "the wheel's extras test",
        "pytest.ini",
        ["test_functools.py"],
        ["jaraco.functools"],
    ),
    # Poetry's old dev-dependencies with ^ constraints (PyYAML is needed to collect the tests)
    "tomlkit==0.12.5": ("[tool.poetry.dev-dependencies]", None, ["tests"], ["tomlkit"]),
    # setup.py's era: [tool:pytest] in setup.cfg, test_six.py at the root, no declared test requirements
    "six==1.17.0": ("nowhere (pytest alone)", "setup.cfg", ["test_six.py"], ["six"]),
    # PDM's dev-dependencies; testpaths ["src/", "tests/"]: src/ holds no tests and is not copied
    "dep-logic==0.7.2": ("[tool.pdm.dev-dependencies] dev", "pyproject.toml", ["tests"], ["dep_logic"]),
}


def built_tree(shipyard: ShipyardCLI, real_sdist: RealSdist, requirement: str, dest: Path) -> Path:
    tree = real_sdist(requirement, dest)
    if not (tree / "pyproject.toml").exists():  # a setup.py-only sdist: an empty one makes it a project
        (tree / "pyproject.toml").write_text("")
    run = shipyard("build", str(tree))
    assert run.code == 0, run.text
    return tree


@pytest.mark.parametrize("requirement", sorted(LAYOUTS))
def test_a_real_project_s_tests_run_as_its_developers_run_them(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path, requirement: str
) -> None:
    source, config, paths, imported = LAYOUTS[requirement]
    tree = built_tree(shipyard, real_sdist, requirement, tmp_path / "download")
    run = shipyard("test-install", "--json", "-C", str(tree))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["tests"] == "passed"
    assert doc["test_requirements"]["from"] == source
    assert (doc["pytest_config"], doc["test_paths"], doc["imported"]) == (config, paths, imported)
    plain = shipyard("test-install", "-C", str(tree))
    assert f"test requirements from {source}: pytest" in plain.out, plain.text
    assert " passed" in plain.out and "its tests pass" in plain.out


def test_an_empty_namespace_wheel_fails_the_import_check(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path
) -> None:
    tree = built_tree(shipyard, real_sdist, "jaraco.functools==4.6.0", tmp_path / "download")
    [wheel] = (tree / "dist").glob("*.whl")
    empty = tmp_path / wheel.name  # jaraco/functools/ with its stubs and py.typed, but no module
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(empty, "w") as dst:
        for info in src.infolist():
            if info.filename == "jaraco/functools/__init__.py":
                continue
            data = src.read(info)
            if info.filename.endswith("/RECORD"):
                data = b"".join(
                    line
                    for line in data.splitlines(True)
                    if not line.startswith(b"jaraco/functools/__init__.py,")
                )
            dst.writestr(info, data)
    whole = shipyard("test-install", "--json", "--no-tests", "-C", str(tree), str(wheel))
    assert whole.code == 0, whole.text
    assert json.loads(whole.out)["imported"] == ["jaraco.functools"]
    run = shipyard("test-install", "--no-tests", "-C", str(tree), str(empty))
    assert run.code == 1, run.text
    assert run.err.strip() == "error: the wheel holds no importable top-level package or module"


def test_dependency_group_includes_of_a_real_pyproject_are_resolved(
    real_sdist: RealSdist, tmp_path: Path
) -> None:
    # attrs 26.1.0: cov = [{include-group = "tests"}, "coverage[toml]"]
    tree = real_sdist("attrs==26.1.0", tmp_path / "download")
    pyproject = tomllib.loads((tree / "pyproject.toml").read_text())
    tests = list(pyproject["dependency-groups"]["tests"])
    assert {"include-group": "tests"} in pyproject["dependency-groups"]["cov"]
    default = testreqs.find(pyproject, tree, [])
    assert (default.source, list(default.requirements)) == ("[dependency-groups] tests", tests)
    cov = testreqs.find(pyproject, tree, [], group="cov")
    assert (cov.source, list(cov.requirements)) == ("[dependency-groups] cov", [*tests, "coverage[toml]"])


def test_a_real_project_releases_with_its_tests_run(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    # before, the release passed without running a test: iniconfig keeps them in testing/, not tests/
    tree = real_sdist("iniconfig==2.3.1", tmp_path / "download")
    with (tree / "pyproject.toml").open("a") as f:
        f.write('\n[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver))
    env = {
        "SHIPYARD_STAGING_USERNAME": fresh_pypiserver.username,
        "SHIPYARD_STAGING_PASSWORD": fresh_pypiserver.password,
    }
    run = shipyard("release", "--json", "-C", str(tree), env=env)
    assert run.code == 0, run.text
    tested = json.loads(run.out)["test_install"]
    assert (tested["tests"], tested["test_paths"]) == ("passed", ["testing"])
    assert set(fresh_pypiserver.served_files("iniconfig")) == {
        "iniconfig-2.3.1.tar.gz",
        "iniconfig-2.3.1-py3-none-any.whl",
    }
