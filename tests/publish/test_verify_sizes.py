"""verify and big files (issue 25, point 5): its deadline grows with the bytes it downloads, and
`verify --version` bounds a download by the size of a build we hold when the listing gives none
(pypiserver's pages give no size). Real pypiserver; the stall comes from tests/helpers/faultproxy.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.faultproxy import behind, fault_proxy, upstream_port
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, set_version
from tests.helpers.releases import staging_project

pytestmark = pytest.mark.integration
MB = 10**6


def _one_error(err: str) -> str:
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


def test_the_deadline_of_verify_grows_by_a_second_a_megabyte(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    with fault_proxy(upstream_port(fresh_pypiserver.upload_url)) as proxy:
        root, env = staging_project(tmp_path, behind(fresh_pypiserver, proxy))
        data = root / "src" / "tiny_pkg" / "blob.bin"
        data.write_bytes(os.urandom(3 * MB))  # incompressible: a 3 MB wheel, a 3 MB sdist
        git(root, "add", "-A")
        git(root, "commit", "-qm", "a big file")
        assert shipyard("build", "-C", str(root), env=env).code == 0
        assert shipyard("publish", "--to", "staging", "-C", str(root), env=env).code == 0
        total = sum(p.stat().st_size for p in (root / "dist").glob("tiny_pkg-*"))
        proxy.faults.add("stall", path="/packages/tiny_pkg-1.0.0-py3", seconds=60)  # the wheel never comes
        run = shipyard(
            "verify", "--on", "staging", "--timeout", "0", "--no-install", "-C", str(root), env=env
        )
    assert run.code == 1, run.text
    line = _one_error(run.err)
    extra = f"+ {total / MB:.0f} s for {total / MB:,.1f} MB of files"
    assert "cut off by its deadline (verify --timeout 0 s " + extra in line, line


def test_verify_version_bounds_a_download_by_the_size_of_a_build_we_kept(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    run = shipyard("release", "-C", str(root), "--no-test-install", "--no-verify-install", env=env)
    assert run.code == 0, run.text
    wheel = next((root / "dist").glob("*.whl")).stat().st_size
    set_version(root, "1.0.0", "1.0.1")
    assert shipyard("build", "-C", str(root), env=env).code == 0  # dist/ now holds 1.0.1
    limit = str(wheel // 2)  # 1.0.0's wheel is over download-limit, and pypiserver lists no size
    for asked in ("1.0.0", "1.0"):  # kept artifacts of 1.0.0 give its size; "1.0" is that version too
        run = shipyard(
            "verify",
            "--on",
            "staging",
            "--version",
            asked,
            "--download-limit",
            limit,
            "-C",
            str(root),
            env=env,
        )
        assert run.code == 0, run.text
        assert "staging serves tiny-pkg" in run.out, run.out
