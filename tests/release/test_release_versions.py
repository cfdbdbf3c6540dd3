"""Releases whose version comes from git, end to end: `--bump` and `--tag` against real indexes.

The repository is only touched (files written, commit, tag, push) after every stage verified; a failed
release leaves HEAD, the tags, `git status` and every file exactly as they were.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, commit, git, make_project, repositories_toml, snapshot, tag
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration

PYPROJECT_TAIL = """
# the version below is written by shipyard release --bump: this comment stays
"""

CHANGELOG = """# Changelog

## [Unreleased]

### Fixed

- a fix the maintainer wrote down by hand

## [1.2.0] - 2026-01-01

- first public release
"""


def bump_project(tmp_path: Path, stages: str, *, with_tests: bool = False, **indexes: TestIndex) -> Path:
    tool = f"[tool.shipyard]\nstages = [{stages}]\n\n" + repositories_toml(**indexes) + PYPROJECT_TAIL
    root = make_project(tmp_path / "proj", version="1.2.0", tool=tool, with_tests=with_tests)
    (root / "CHANGELOG.md").write_text(CHANGELOG)
    subprocess.run([find_uv_bin(), "lock", "--offline", "--quiet"], cwd=root, check=True)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "chore: changelog and lock")
    tag(root, "v1.2.0")
    commit(root, "fix(io): crash on an empty file")
    commit(root, "feat: add --loud", path="src/tiny_pkg/__init__.py")
    return root


def files_of(root: Path, *names: str) -> dict[str, bytes]:
    return {n: (root / n).read_bytes() for n in names}


TOUCHED = ("pyproject.toml", "src/tiny_pkg/__init__.py", "CHANGELOG.md", "uv.lock")


def test_bump_releases_then_commits_and_tags(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = bump_project(tmp_path, '"staging"', staging=fresh_pypiserver)
    run = shipyard("release", "--bump", "--json", "-C", str(root), env=creds(staging=fresh_pypiserver))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["version"] == "1.3.0" and doc["target"]["mode"] == "bump"
    assert sorted(fresh_pypiserver.served_files("tiny-pkg")) == [
        "tiny_pkg-1.3.0-py3-none-any.whl",
        "tiny_pkg-1.3.0.tar.gz",
    ]
    head = git(root, "rev-parse", "HEAD").strip()
    assert doc["recorded"] == {"commit": head, "tag": "v1.3.0", "pushed": False}
    assert git(root, "rev-parse", "v1.3.0^{commit}").strip() == head
    assert git(root, "log", "-1", "--format=%s").strip() == "chore(release): tiny-pkg 1.3.0"
    assert git(root, "status", "--porcelain") == ""
    assert sorted(git(root, "show", "--name-only", "--format=", "HEAD").split()) == sorted(TOUCHED)
    pyproject = (root / "pyproject.toml").read_text()
    assert 'version = "1.3.0"' in pyproject and "this comment stays" in pyproject
    assert '__version__ = "1.3.0"' in (root / "src/tiny_pkg/__init__.py").read_text()
    assert 'name = "tiny-pkg"\nversion = "1.3.0"' in (root / "uv.lock").read_text()
    changelog = (root / "CHANGELOG.md").read_text()
    section = changelog.split("## [1.3.0] - ")[1].split("## [1.2.0]")[0]
    assert "### Added\n\n- add --loud" in section
    assert "### Fixed\n\n- a fix the maintainer wrote down by hand\n- io: crash on an empty file" in section
    assert changelog.index("## [Unreleased]") < changelog.index("## [1.3.0]") < changelog.index("## [1.2.0]")
    # the tag's tree rebuilds byte for byte into what the index serves
    rebuilt = shipyard("build", "--json", "-C", str(root), "--out", str(tmp_path / "again"))
    assert rebuilt.code == 0, rebuilt.text
    assert {d["filename"]: d["sha256"] for d in json.loads(rebuilt.out)["dists"]} == (
        fresh_pypiserver.served_files("tiny-pkg")
    )
    # nothing new since the tag: nothing to release
    again = shipyard("release", "--bump", "-C", str(root), env=creds(staging=fresh_pypiserver))
    assert again.code == 3 and "no commits since v1.3.0" in again.err


def test_failing_tests_leave_the_repository_as_it_was(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = bump_project(tmp_path, '"local"', with_tests=True)
    (root / "tests" / "test_tiny_pkg.py").write_text("def test_broken():\n    assert False\n")
    git(root, "commit", "-qam", "fix: a change that breaks the tests")
    before, kept = snapshot(root), files_of(root, *TOUCHED)
    run = shipyard("release", "--bump", "-C", str(root))
    assert run.code == 1, run.text
    assert snapshot(root) == before and files_of(root, *TOUCHED) == kept
    assert git(root, "tag", "--list") == "v1.2.0\n"


def test_tag_is_made_only_after_every_stage_verified(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex
) -> None:
    root = bump_project(
        tmp_path, '"staging", "production"', staging=fresh_pypiserver, production=fresh_devpi_index
    )
    env = creds(staging=fresh_pypiserver, production=fresh_devpi_index)
    before, kept = snapshot(root), files_of(root, *TOUCHED)
    failing = shipyard(
        "release", "--bump", "-C", str(root), env={**env, "SHIPYARD_PRODUCTION_PASSWORD": "wrong-horse"}
    )
    assert failing.code == 1, failing.text
    assert fresh_pypiserver.served_files("tiny-pkg")  # staging got the release and verified it
    assert not fresh_devpi_index.served_files("tiny-pkg")
    assert snapshot(root) == before and files_of(root, *TOUCHED) == kept  # no tag, no commit, no edit
    resumed = shipyard("release", "--bump", "--json", "-C", str(root), env=env)
    assert resumed.code == 0, resumed.text
    doc = json.loads(resumed.out)
    assert [s["resumed"] for s in doc["stages"]] == [True, False]
    assert git(root, "describe", "--exact-match", "HEAD").strip() == "v1.3.0"


def test_version_on_the_index_with_other_files_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = bump_project(tmp_path, '"staging"', staging=fresh_pypiserver)
    env = creds(staging=fresh_pypiserver)
    assert shipyard("release", "--bump", "-C", str(root), env=env).code == 0
    # someone released 1.3.0 and the tag got lost: the same version from other sources must not go up
    git(root, "tag", "-d", "v1.3.0")
    git(root, "reset", "-q", "--hard", "HEAD~1")
    commit(root, "fix: something else")
    commit(root, "feat: and more")
    served = fresh_pypiserver.served_files("tiny-pkg")
    before = snapshot(root)
    run = shipyard("release", "--bump", "-C", str(root), env=env)
    assert run.code == 2, run.text
    assert "bump the version" in run.err
    assert snapshot(root) == before and fresh_pypiserver.served_files("tiny-pkg") == served


def test_tag_release_builds_the_tags_version_without_touching_the_tree(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", version="0.0.0", with_tests=False)
    before = snapshot(root)
    run = shipyard("release", "--tag", "v2.1.0", "--json", "-C", str(root))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["version"] == "2.1.0"
    assert sorted(doc["target"]["files"]) == ["pyproject.toml", "src/tiny_pkg/__init__.py"]
    assert [d["filename"] for d in doc["dists"]] == [
        "tiny_pkg-2.1.0.tar.gz",
        "tiny_pkg-2.1.0-py3-none-any.whl",
    ]
    head, _, status, pyproject = snapshot(root)
    assert (head, status, pyproject) == (before[0], before[2], before[3])  # the tree still says 0.0.0
    assert git(root, "rev-parse", "v2.1.0^{commit}") == head  # the tag is made, on HEAD, after the release


def test_tag_pushed_by_ci_with_a_release_pattern(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """The Azure seed: tags like release/1.2.0 that already exist on HEAD when CI runs."""
    root = make_project(
        tmp_path / "proj", version="1.2.0", tool='[tool.shipyard]\ntag = "release/{version}"\n'
    )
    tag(root, "release/1.2.0")
    run = shipyard("release", "--tag", "release/1.2.0", "--no-test-install", "-C", str(root))
    assert run.code == 0, run.text
    assert "released tiny-pkg 1.2.0 to local" in run.out and "tagged" not in run.out


def test_backend_computed_version_is_told_the_tag(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """hatch-vcs reads git: shipyard tells it the version (SETUPTOOLS_SCM_PRETEND_VERSION)."""
    root = make_project(tmp_path / "vcs", version="0", with_tests=False)
    text = (
        (root / "pyproject.toml")
        .read_text()
        .replace('requires = ["hatchling"]', 'requires = ["hatchling", "hatch-vcs"]')
    )
    text = text.replace('version = "0"', 'dynamic = ["version"]') + '[tool.hatch.version]\nsource = "vcs"\n'
    (root / "pyproject.toml").write_text(text)
    # the version from git only: a __version__ = "0" left in the package would be refused as stale
    (root / "src/tiny_pkg/__init__.py").write_text("def answer() -> int:\n    return 42\n")
    git(root, "commit", "-qam", "use hatch-vcs")
    run = shipyard("release", "--tag", "v3.0.0", "--json", "-C", str(root))
    assert run.code == 0, run.text
    assert json.loads(run.out)["version"] == "3.0.0"
    assert git(root, "describe", "--exact-match").strip() == "v3.0.0"


def test_push_sends_the_commit_and_tag_to_the_remote(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = bump_project(tmp_path, '"local"')
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    branch = git(root, "branch", "--show-current").strip()
    git(root, "push", "-q", "origin", branch)
    run = shipyard("release", "--bump", "--push", "--no-test-install", "-C", str(root))
    assert run.code == 0, run.text
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == git(root, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", "v1.3.0^{commit}") == git(root, "rev-parse", "HEAD")


def test_a_failed_push_says_how_to_finish(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = bump_project(tmp_path, '"local"')
    git(root, "remote", "add", "origin", str(tmp_path / "gone.git"))  # no such repository
    run = shipyard("release", "--bump", "--push", "--no-test-install", "-C", str(root))
    assert run.code == 1, run.text
    (line,) = run.err.strip().splitlines()
    branch = git(root, "branch", "--show-current").strip()
    assert line.endswith(f"push it with git push --atomic origin HEAD:refs/heads/{branch} refs/tags/v1.3.0")
    assert git(root, "rev-parse", "v1.3.0^{commit}") == git(root, "rev-parse", "HEAD")  # recorded here
    assert not (root / ".shipyard" / "state" / "record.json").exists()  # a push by hand finishes it


def test_if_branch_on_that_branch_releases(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    git(root, "checkout", "-qb", "pypi-release")
    run = shipyard("release", "--if-branch", "pypi-release", "-C", str(root))
    assert run.code == 0, run.text
    # a detached CI checkout names its branch in the environment (GitLab here)
    git(root, "checkout", "-q", "--detach")
    elsewhere = shipyard(
        "release", "--if-branch", "pypi-release", "-C", str(root), env={"CI_COMMIT_BRANCH": "main"}
    )
    assert elsewhere.code == 3 and "this is main" in elsewhere.err
