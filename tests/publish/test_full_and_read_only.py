"""A full disk and a read-only `.shipyard/state/`, for real (issue 12, point 14): a tmpfs of a few
KiB where the build or the local index writes (ENOSPC from the kernel), a read-only bind mount of the
state folder (EROFS), each in the command's own mount namespace (tests/helpers/confined.py).

The bar: exit code, one `error:` line naming the path and the reason, no `.tmp` and no truncated
file left where the disk filled up, and, for the read-only state, nothing uploaded to the real
pypiserver: writability is asked before the first upload, not found out after verify.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.helpers.confined import confined
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration


def _one_error(run_err: str) -> str:
    lines = run_err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in run_err, run_err
    return lines[0]


def test_a_full_disk_while_building_leaves_no_half_written_file(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    listing = tmp_path / "left.txt"
    # 4 KiB: one page, which dist/.gitignore takes; the sdist then meets ENOSPC
    wrap = functools.partial(confined, full={root / "dist": 4}, listing=listing)
    run = shipyard("build", "-C", str(root), wrap=wrap)
    line = _one_error(run.err)
    assert run.code == 1 and "No space left on device" in line, run.text
    assert f"cannot write {root / 'dist' / 'tiny_pkg-1.0.0.tar.gz'}" in line
    left = sorted(Path(p).name for p in listing.read_text().split())
    assert left == [".gitignore"]  # no .tmp, no truncated sdist, no manifest naming one


def test_a_full_disk_under_the_local_index_leaves_no_tmp(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    assert shipyard("build", "-C", str(root)).code == 0
    index, listing = root / ".shipyard" / "index", tmp_path / "left.txt"
    # 8 KiB: the index's .gitignore and the sdist fit; its project page does not
    run = shipyard(
        "publish",
        "--to",
        "local",
        "-C",
        str(root),
        wrap=functools.partial(confined, full={index: 8}, listing=listing),
    )
    line = _one_error(run.err)
    assert run.code == 1 and "No space left on device" in line and f"cannot write {index}" in line, run.text
    left = [Path(p).relative_to(index).as_posix() for p in listing.read_text().split()]
    assert not [p for p in left if p.endswith(".tmp")], left
    assert "simple/tiny-pkg/index.json" not in left  # no page listing what did not arrive whole


def test_a_read_only_state_folder_stops_the_release_before_any_upload(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
    state = root / ".shipyard" / "state"
    state.mkdir(parents=True)
    wrap = functools.partial(confined, read_only=[state])
    env = creds(staging=fresh_pypiserver)
    run = shipyard("release", "--no-test-install", "--no-verify-install", "-C", str(root), env=env, wrap=wrap)
    line = _one_error(run.err)
    assert run.code == 2 and f"cannot write {state} (Read-only file system)" in line, run.text
    assert "nothing was uploaded" in line
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
    # the same release with the folder writable goes through: the refusal came from the mount
    run = shipyard("release", "--no-test-install", "--no-verify-install", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert len(fresh_pypiserver.served_files("tiny-pkg")) == 2


def test_a_read_only_project_folder_stops_publish_before_any_upload(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    """No .shipyard/ yet, and the project folder read-only: the audit log could not be made."""
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
    assert shipyard("build", "-C", str(root)).code == 0
    run = shipyard(
        "publish", "--to", "staging", "-C", str(root), env=creds(staging=fresh_pypiserver),
        wrap=functools.partial(confined, read_only=[root]),
    )  # fmt: skip
    line = _one_error(run.err)
    assert run.code == 2 and "Read-only file system" in line and "audit log" in line, run.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
