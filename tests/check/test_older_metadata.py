"""A valid sdist as setuptools < 74 wrote it (Metadata-Version 2.1 with License-File, a field core
metadata 2.4 names) is published with a warning, as PyPI took it and `twine check` passes it; what PyPI
refuses is still refused (issue 23, point 3). Real material: certifi 2023.7.22's sdist from PyPI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from shipyard.dists import identify, metadata_findings
from tests.helpers.indexes import TestIndex, client_env
from tests.helpers.projects import ShipyardCLI
from tests.helpers.realsdists import RealDist

pytestmark = pytest.mark.integration

CERTIFI = "certifi==2023.7.22"


def test_a_setuptools_73_sdist_is_published_with_a_warning_as_twine_and_pypi_take_it(
    shipyard: ShipyardCLI, real_dist: RealDist, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    sdist = real_dist(CERTIFI, "sdist")
    with tarfile.open(sdist) as tf:
        pkg_info = tf.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/PKG-INFO")
        assert pkg_info is not None
        head = pkg_info.read().decode()
    assert "Metadata-Version: 2.1\n" in head and "License-File: LICENSE\n" in head  # the real material
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", str(sdist)],
        capture_output=True, text=True, env=client_env(), check=False,
    )  # fmt: skip
    # the peer passes it (its one warning, with --strict a failure, is the missing README type)
    assert twine.returncode == 0 and "license" not in twine.stdout.lower(), twine.stdout + twine.stderr
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(sdist, outside)
    index = fresh_pypiserver
    env = {"TWINE_REPOSITORY_URL": index.upload_url, "TWINE_USERNAME": index.username}
    env["TWINE_PASSWORD"] = index.password
    run = shipyard("publish", sdist.name, cwd=outside, env=env)
    assert run.code == 0, run.text
    warnings = [line for line in run.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "license-file introduced in metadata version 2.4" in warnings[0], run.err
    assert "PyPI accepts it" in warnings[0]
    assert set(index.served_files("certifi")) == {sdist.name}


def test_metadata_an_index_refuses_is_still_a_problem(tmp_path: Path) -> None:
    sdist = tmp_path / "bad_pkg-1.0.tar.gz"
    info = tmp_path / "PKG-INFO"
    info.write_text(
        "Metadata-Version: 2.1\nName: bad-pkg\nVersion: 1.0\nLicense-File: LICENSE\nRequires-Dist: ?!\n"
    )
    with tarfile.open(sdist, "w:gz") as tf:
        tf.add(info, "bad_pkg-1.0/PKG-INFO")
    problems, odd = metadata_findings(identify(sdist))
    assert [p for p in problems if "requires-dist" in p.lower()], problems
    assert [w for w in odd if "license-file" in w], odd
