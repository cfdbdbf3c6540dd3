"""A setup.py-only project (six 1.10.0's sdist from PyPI, in a git repository): version, plan,
release --tag and doctor name it (setup.py's literal) and version it (six.py's __version__, which
setup.py reads) without running setup.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, repositories_toml
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration


def test_a_setup_py_only_project_is_named_and_versioned_by_its_backend(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tree = real_sdist("six==1.10.0", tmp_path / "download")
    assert not (tree / "pyproject.toml").exists() and 'name="six"' in (tree / "setup.py").read_text()
    (tree / "pyproject.toml").write_text(
        '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    )
    (tree / ".gitignore").write_text("dist/\n.shipyard/\nbuild/\n*.egg-info/\n__pycache__/\n")
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "six 1.10.0")
    env = {
        "SHIPYARD_STAGING_USERNAME": fresh_pypiserver.username,
        "SHIPYARD_STAGING_PASSWORD": fresh_pypiserver.password,
    }

    version = shipyard("version", "-C", str(tree))
    assert version.code == 0, version.text
    assert version.out.strip() == (
        "six 1.10.0 (from six.py (__version__, which setup.py reads); not released yet (no matching tag))"
    )
    plan = shipyard("plan", "--json", "-C", str(tree))
    assert plan.code == 0, plan.text
    [package] = json.loads(plan.out)["packages"]
    assert package["name"] == "six"

    release = shipyard("release", "--tag", "v1.10.0", "--no-test-install", "-C", str(tree), env=env)
    assert release.code == 0, release.text
    assert release.out.strip().splitlines()[-2] == "released six 1.10.0 to staging; tagged v1.10.0"
    assert set(fresh_pypiserver.served_files("six")) == {
        "six-1.10.0.tar.gz",
        "six-1.10.0-py2.py3-none-any.whl",
    }

    doctor = shipyard("doctor", "-C", str(tree), env=env)
    assert doctor.code == 0, doctor.text
    assert "declares no [project] name" not in doctor.text
