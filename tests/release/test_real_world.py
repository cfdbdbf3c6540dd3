"""Real-world projects: sdists downloaded from PyPI at test time, rebuilt and released by shipyard.

six is built by setuptools (setup.py), tomli by flit_core: two backends, two eras of packaging.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, repositories_toml

pytestmark = pytest.mark.integration

SDISTS = {"six": ("six==1.17.0", "setuptools"), "tomli": ("tomli==2.0.1", "flit_core")}


def download_sdist(requirement: str, dest: Path) -> Path:
    """The project's source tree, from its sdist on PyPI (the machine's usual pip sources)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "-d", str(dest), requirement],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (archive,) = dest.glob("*.tar.gz")
    with tarfile.open(archive) as tf:
        tf.extractall(dest, filter="data")
    (tree,) = (p for p in dest.iterdir() if p.is_dir())
    return tree


@pytest.mark.parametrize("project", sorted(SDISTS))
def test_release_a_real_sdist_to_both_servers(
    project: str,
    shipyard: ShipyardCLI,
    tmp_path: Path,
    fresh_pypiserver: TestIndex,
    fresh_devpi_index: TestIndex,
) -> None:
    requirement, backend = SDISTS[project]
    tree = download_sdist(requirement, tmp_path / "download")
    text = (tree / "pyproject.toml").read_text() if (tree / "pyproject.toml").exists() else ""
    assert backend in text or backend == "setuptools"
    config = '\n[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, production=fresh_devpi_index
    )
    (tree / "pyproject.toml").write_text(text + config)
    env = {
        "SHIPYARD_STAGING_USERNAME": fresh_pypiserver.username,
        "SHIPYARD_STAGING_PASSWORD": fresh_pypiserver.password,
        "SHIPYARD_PRODUCTION_USERNAME": fresh_devpi_index.username,
        "SHIPYARD_PRODUCTION_PASSWORD": fresh_devpi_index.password,
    }
    first = shipyard("release", "--json", "--no-test-install", "-C", str(tree), env=env)
    assert first.code == 0, first.text
    doc = json.loads(first.out)
    built = {d["filename"]: d["sha256"] for d in doc["dists"]}
    assert len(built) == 2
    assert fresh_pypiserver.served_files(project) == built
    assert fresh_devpi_index.served_files(project) == built

    again = shipyard("release", "--json", "--no-test-install", "-C", str(tree), env=env)
    assert again.code == 0, again.text
    redo = json.loads(again.out)
    assert {d["filename"]: d["sha256"] for d in redo["dists"]} == built, "the rebuild is not reproducible"
    assert all(f["action"] == "skipped" for s in redo["stages"] for f in s["files"])
