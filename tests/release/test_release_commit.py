"""`release --bump` is built from the release commit itself (made on no branch first, the branch and
the tag moved to it only after every stage verified): a fresh clone of the tag rebuilds the very
bytes the index serves, and `release --tag` at that tag finds the release done.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, commit, git, make_project, repositories_toml, tag
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration


def released_once(tmp_path: Path, index: TestIndex, backend: str, *, vcs: bool = False) -> Path:
    """A project at v1.2.0 with a feature since, its working tree older than its commits."""
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=index)
    root = make_project(tmp_path / "proj", version="1.2.0", tool=tool, with_tests=False, backend=backend)
    if vcs:  # hatch-vcs: the version is the tag's, read from git
        text = (root / "pyproject.toml").read_text()
        text = text.replace('requires = ["hatchling"]', 'requires = ["hatchling", "hatch-vcs"]')
        text = text.replace('version = "1.2.0"', 'dynamic = ["version"]')
        (root / "pyproject.toml").write_text(text + '[tool.hatch.version]\nsource = "vcs"\n')
        init = root / "src/tiny_pkg/__init__.py"  # the version from git only: no stale literal copy
        init.write_text(init.read_text().replace('__version__ = "1.2.0"\n', ""))
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [1.2.0] - 2026-01-01\n\n- first\n")
    if not vcs:
        subprocess.run([find_uv_bin(), "lock", "--offline", "--quiet"], cwd=root, check=True)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "chore: changelog")
    tag(root, "v1.2.0")
    commit(root, "feat: add --loud", path="src/tiny_pkg/__init__.py")
    for path in root.rglob("*"):  # files older than every commit, as in a long-lived checkout
        if ".git" not in path.parts:
            subprocess.run(["touch", "-h", "-d", "2001-01-01", str(path)], check=True)
    return root


def digests(run_out: str) -> dict[str, str]:
    return {d["filename"]: d["sha256"] for d in json.loads(run_out)["dists"]}


@pytest.mark.parametrize("backend", ["hatchling", "setuptools"])
def test_a_fresh_clone_of_the_tag_rebuilds_the_released_bytes(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, backend: str
) -> None:
    root = released_once(tmp_path, fresh_pypiserver, backend)
    env = creds(staging=fresh_pypiserver)
    run = shipyard("release", "--bump", "--json", "--no-test-install", "-C", str(root), env=env)
    assert run.code == 0, run.text
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert digests(run.out) == served and len(served) == 2
    # the sdist holds the release commit's files (its version), every member dated like the commit
    sdist = next(Path(d["path"]) for d in json.loads(run.out)["dists"] if d["kind"] == "sdist")
    when = int(git(root, "log", "-1", "--format=%ct", "v1.3.0"))
    with tarfile.open(sdist) as tf:
        assert {m.mtime for m in tf.getmembers()} == {when}
        pyproject = tf.extractfile("tiny_pkg-1.3.0/pyproject.toml")
        assert pyproject is not None and b'version = "1.3.0"' in pyproject.read()
    clone = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", "--branch", "v1.3.0", str(root), str(clone)], check=True)
    rebuilt = shipyard("build", "--json", "-C", str(clone), "--out", str(tmp_path / "rebuilt"))
    assert rebuilt.code == 0, rebuilt.text
    assert digests(rebuilt.out) == served  # sha256 for sha256
    # CI's tag pipeline and a re-run here: already released, no "bump the version"
    for tree in (clone, root):
        again = shipyard("release", "--tag", "v1.3.0", "--no-test-install", "-C", str(tree), env=env)
        assert again.code == 0, again.text
        assert "already" in again.out + again.err and "bump the version" not in again.err
    assert fresh_pypiserver.served_files("tiny-pkg") == served


def test_a_vcs_versioned_bump_ships_what_the_tag_holds(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    """hatch-vcs: built from the release commit, told the tag-to-be's version; the tag then rebuilds
    to the same files, and `release --tag` at it is done already (issue 13, point 6)."""
    root = released_once(tmp_path, fresh_pypiserver, "hatchling", vcs=True)
    env = creds(staging=fresh_pypiserver)
    run = shipyard("release", "--bump", "--json", "--no-test-install", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert json.loads(run.out)["version"] == "1.3.0"
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert sorted(served) == ["tiny_pkg-1.3.0-py3-none-any.whl", "tiny_pkg-1.3.0.tar.gz"]
    assert git(root, "describe", "--exact-match", "HEAD").strip() == "v1.3.0"
    sdist = next(Path(d["path"]) for d in json.loads(run.out)["dists"] if d["kind"] == "sdist")
    with tarfile.open(sdist) as tf:  # the CHANGELOG the tag holds, not the one before the bump
        changelog = tf.extractfile("tiny_pkg-1.3.0/CHANGELOG.md")
        assert changelog is not None and b"## [1.3.0]" in changelog.read()
    clone = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", "--branch", "v1.3.0", str(root), str(clone)], check=True)
    rebuilt = shipyard("build", "--json", "-C", str(clone), "--out", str(tmp_path / "rebuilt"))
    assert rebuilt.code == 0, rebuilt.text
    assert digests(rebuilt.out) == served
    again = shipyard("release", "--tag", "v1.3.0", "--no-test-install", "-C", str(root), env=env)
    assert again.code == 0 and "already" in again.out + again.err, again.text
