"""verify installs the very files it downloaded and hashed, and nothing else (issue 21 point 5,
issue 25 point 5): a real pypiserver behind a hostile front (tests/helpers/strangers.py) that lists
a stranger's wheel beside ours, or swaps our wheel's bytes after their first download.

Each stranger's module writes a marker file when imported: a test that finds it saw the stranger run.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.tags import sys_tags

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI
from tests.helpers.releases import staging_project
from tests.helpers.strangers import StrangerFront, stranger_front, stranger_wheel

pytestmark = pytest.mark.integration


@pytest.fixture
def front(fresh_pypiserver: TestIndex) -> Iterator[StrangerFront]:
    with stranger_front(fresh_pypiserver) as running:
        yield running


def _published(shipyard: ShipyardCLI, tmp_path: Path, front: StrangerFront) -> tuple[Path, dict[str, str]]:
    """tiny-pkg 1.0.0 built and published to staging (read through `front`), not yet verified."""
    root, env = staging_project(tmp_path, front.index)
    assert shipyard("build", "-C", str(root), env=env).code == 0
    run = shipyard("publish", "--to", "staging", "-C", str(root), env=env)
    assert run.code == 0, run.text
    return root, env


def _one_error(err: str) -> str:
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


def _best_tag() -> str:
    """A CPython manylinux tag this interpreter prefers to py3-none-any (the issue's cp311-manylinux)."""
    abi = f"cp{sys.version_info.major}{sys.version_info.minor}"
    tag = f"{abi}-{abi}-manylinux_2_17_{platform.machine()}"
    assert tag in {str(t) for t in sys_tags()}, f"{tag} does not install here"
    return tag


def test_verify_fails_naming_a_wheel_of_the_release_we_did_not_build(
    shipyard: ShipyardCLI, tmp_path: Path, front: StrangerFront
) -> None:
    root, env = _published(shipyard, tmp_path, front)
    [ours] = (root / "dist").glob("*.whl")
    marker = tmp_path / "stranger-ran"
    stranger = stranger_wheel(ours, tmp_path / "stranger", _best_tag(), marker)
    front.extra[stranger.name] = stranger.read_bytes()
    run = shipyard("verify", "--on", "staging", "-C", str(root), env=env)
    assert run.code == 1, run.text
    line = _one_error(run.err)
    assert stranger.name in line and "did not make" in line, line
    assert "serves" not in run.out
    assert not marker.exists()  # the stranger's code never ran
    assert front.downloads(stranger.name) == 0  # refused from the listing, before any download


def test_verify_installs_the_bytes_it_hashed_and_downloads_each_file_once(
    shipyard: ShipyardCLI, tmp_path: Path, front: StrangerFront
) -> None:
    root, env = _published(shipyard, tmp_path, front)
    [ours] = (root / "dist").glob("*.whl")
    marker = tmp_path / "stranger-ran"
    # a wheel of our name whose code writes the marker: what the front sends on any second download
    swapped = stranger_wheel(ours, tmp_path / "swapped", "py3-none-any", marker)
    assert swapped.name == ours.name
    front.swaps[ours.name] = swapped.read_bytes()
    run = shipyard("verify", "--on", "staging", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert "installs from there" in run.out
    assert not marker.exists()  # what was imported is what was hashed
    for dist in (root / "dist").glob("tiny_pkg-1.0.0*"):
        assert front.downloads(dist.name) == 1, (dist.name, dict(front.gets))


def test_a_re_run_over_a_cut_copy_on_the_index_says_so_with_both_sizes(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    run = shipyard("release", "-C", str(root), "--no-test-install", "--no-verify-install", env=env)
    assert run.code == 0, run.text
    [ours] = (root / "dist").glob("*.whl")
    data = ours.read_bytes()
    cut = len(data) * 4 // 5
    fresh_pypiserver.replace_file(ours.name, data[:cut])  # what a cut upload left on the server
    run = shipyard("publish", "--to", "staging", "-C", str(root), env=env)
    assert run.code == 2, run.text
    line = _one_error(run.err)
    assert f"staging holds a shorter copy of {ours.name}: {cut:,} bytes of our {len(data):,}" in line, line
    assert "delete that file on staging and re-run" in line
    run = shipyard("verify", "--on", "staging", "--no-install", "-C", str(root), env=env)
    assert run.code == 1, run.text  # verify says the same, as a failed step
    assert f"shorter copy of {ours.name}: {cut:,} bytes of our {len(data):,}" in _one_error(run.err)
    another = b"another build of the same name, " * 200  # not the start of ours: the plain conflict
    fresh_pypiserver.replace_file(ours.name, another)
    line = _one_error(shipyard("publish", "--to", "staging", "-C", str(root), env=env).err)
    assert "shorter" not in line and "bump the version" in line, line


def test_a_release_of_an_sdist_alone_installs_from_the_sdist_it_served(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    assert shipyard("build", "-C", str(root), env=env).code == 0
    [sdist] = (root / "dist").glob("*.tar.gz")
    run = shipyard("publish", "--to", "staging", "-C", str(root), str(sdist), env=env)
    assert run.code == 0, run.text
    (root / "dist" / ".shipyard-build.json").unlink()  # no build of ours: the index's own hashes
    run = shipyard("verify", "--on", "staging", "--version", "1.0.0", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert "installs from the files staging served" in run.out, run.out
