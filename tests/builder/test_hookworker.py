"""One backend process builds the sdist and the wheel from it (builder/hookworker.py): real isolated
setuptools builds whose setup.py notes the process it runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.builder.pep517 import build
from shipyard.errors import BuildError

pytestmark = pytest.mark.integration

SETUP_PY = """\
import os
from setuptools import setup

with open(os.environ["PIDS"], "a") as f:
    f.write(f"{os.getpid()} {'from-sdist' if os.path.exists('PKG-INFO') else 'tree'}\\n")
if os.path.exists("PKG-INFO") and os.environ.get("FAIL_WHEEL"):
    raise SystemExit("no wheel today")
setup()
"""


def project(root: Path, backend_path: bool = False) -> Path:
    (root / "src" / "pidpkg").mkdir(parents=True)
    system = '[build-system]\nrequires = ["setuptools>=68"]\n'
    if backend_path:  # an in-tree backend: its hooks get their own processes, as PEP 517 describes
        system += 'build-backend = "inbackend"\nbackend-path = ["_backend"]\n'
        (root / "_backend").mkdir()
        (root / "_backend" / "inbackend.py").write_text("from setuptools.build_meta import *  # noqa\n")
        (root / "MANIFEST.in").write_text(
            "include _backend/inbackend.py\n"
        )  # the wheel builds from the sdist
    else:
        system += 'build-backend = "setuptools.build_meta"\n'
    (root / "pyproject.toml").write_text(f'{system}\n[project]\nname = "pidpkg"\nversion = "1.0"\n')
    (root / "setup.py").write_text(SETUP_PY)
    (root / "src" / "pidpkg" / "__init__.py").write_text("")
    return root


def pids(path: Path) -> list[tuple[str, str]]:
    return [(pid, where) for pid, where in (line.split() for line in path.read_text().splitlines())]


def test_sdist_and_wheel_from_one_backend_process(tmp_path: Path) -> None:
    log = tmp_path / "pids"
    dists = build(project(tmp_path / "p"), tmp_path / "out", epoch=1_700_000_000, env={"PIDS": str(log)})
    assert [d.filename for d in dists] == ["pidpkg-1.0.tar.gz", "pidpkg-1.0-py3-none-any.whl"]
    seen = pids(log)
    assert [where for _, where in seen][-2:] == ["tree", "from-sdist"]  # the wheel is built from the sdist
    assert seen[-1][0] == seen[-2][0]  # ... by the process that built the sdist


def test_in_tree_backend_keeps_a_process_per_hook(tmp_path: Path) -> None:
    log = tmp_path / "pids"
    dists = build(project(tmp_path / "p", backend_path=True), tmp_path / "out", env={"PIDS": str(log)})
    assert len(dists) == 2
    last = {where: pid for pid, where in pids(log)}  # the process of the last call in each tree
    assert last["tree"] != last["from-sdist"]


def test_a_failing_wheel_hook_is_reported_as_the_wheel(tmp_path: Path) -> None:
    env = {"PIDS": str(tmp_path / "pids"), "FAIL_WHEEL": "1"}
    with pytest.raises(BuildError) as failed:
        build(project(tmp_path / "p"), tmp_path / "out", env=env)
    assert failed.value.message.startswith("building the wheel failed: no wheel today")
    assert not (tmp_path / "out").exists()
