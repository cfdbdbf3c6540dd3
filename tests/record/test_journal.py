"""The record step is a journal: a release killed anywhere in its record (before the commit, between
the commit and the tag, before the push) is finished by re-running the same command, which publishes
nothing again; a lock file the killed git left is named, once removed the re-run finishes.

The kills are real (tests/helpers/gitkill.py): git's reference-transaction hook SIGKILLs the shipyard
process that runs git at the named ref update, as a crash or a cancelled CI job would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers.gitkill import install_kill_hook
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, commit, git, make_project, repositories_toml, tag
from tests.helpers.releases import creds, uploads

pytestmark = pytest.mark.integration

FAST = ("--no-test-install", "--no-verify-install")


def project(tmp_path: Path, index: TestIndex) -> tuple[Path, str]:
    """Released as v1.2.0, a feature since (--bump makes 1.3.0); the kill hook installed."""
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=index)
    root = make_project(tmp_path / "proj", version="1.2.0", tool=tool, with_tests=False)
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [1.2.0] - 2026-01-01\n\n- first\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "chore: changelog")
    tag(root, "v1.2.0")
    commit(root, "feat: add --loud", path="src/tiny_pkg/__init__.py")
    install_kill_hook(root)
    return root, git(root, "branch", "--show-current").strip()


def assert_released(root: Path, index: TestIndex, served: dict[str, str]) -> None:
    head = git(root, "rev-parse", "HEAD").strip()
    assert git(root, "rev-parse", "v1.3.0^{commit}").strip() == head
    assert git(root, "log", "-1", "--format=%s").strip() == "chore(release): tiny-pkg 1.3.0"
    assert git(root, "status", "--porcelain") == ""
    assert 'version = "1.3.0"' in (root / "pyproject.toml").read_text()
    assert "## [1.3.0]" in (root / "CHANGELOG.md").read_text()
    assert not (root / ".shipyard" / "state" / "record.json").exists()
    assert index.served_files("tiny-pkg") == served  # the very files, uploaded once each
    assert uploads(root) == ["tiny_pkg-1.3.0-py3-none-any.whl", "tiny_pkg-1.3.0.tar.gz"]


def killed(shipyard: ShipyardCLI, root: Path, env: dict[str, str], at: str, *extra: str) -> None:
    run = shipyard(
        "release",
        "--bump",
        *FAST,
        *extra,
        "-C",
        str(root),
        env={**env, "KILL_AT": at, "SHIPYARD_PASS_ENV": "KILL_AT"},
    )
    assert run.code == -9, run.text  # SIGKILLed
    assert (root / ".shipyard" / "state" / "record.json").is_file()  # the journal was written first


def test_killed_after_the_publish_before_the_commit(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, branch = project(tmp_path, fresh_pypiserver)
    env = creds(staging=fresh_pypiserver)
    parent = git(root, "rev-parse", "HEAD")
    killed(shipyard, root, env, f"prepared refs/heads/{branch}")
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert sorted(served) == ["tiny_pkg-1.3.0-py3-none-any.whl", "tiny_pkg-1.3.0.tar.gz"]
    assert git(root, "rev-parse", "HEAD") == parent and git(root, "tag", "--list") == "v1.2.0\n"
    assert git(root, "status", "--porcelain") == ""
    # a tag lock a killed `git tag` would leave: named, nothing else done
    lock = root / ".git" / "refs" / "tags" / "v1.3.0.lock"
    lock.touch()
    refused = shipyard("release", "--bump", *FAST, "-C", str(root), env=env)
    assert refused.code == 2, refused.text
    assert refused.err.strip().splitlines() == [
        f"error: {lock} is left over from a git command that was stopped: remove it (when no git "
        "command is running in this repository) and re-run"
    ]
    assert git(root, "rev-parse", "HEAD") == parent
    lock.unlink()
    # a commit made meanwhile: the release commit's parent is not HEAD any more, which is said
    commit(root, "docs: meanwhile")
    moved = shipyard("release", "--bump", *FAST, "-C", str(root), env=env)
    assert moved.code == 2 and len(moved.err.strip().splitlines()) == 1, moved.text
    assert f"HEAD moved to {git(root, 'rev-parse', 'HEAD')[:12]} before its record was finished" in moved.err
    assert f"check out {parent[:12]} and re-run to finish it" in moved.err
    git(root, "reset", "-q", "--hard", "HEAD~1")
    again = shipyard("release", "--bump", "--json", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    doc = json.loads(again.out)
    assert doc["version"] == "1.3.0" and [s["resumed"] for s in doc["stages"]] == [True]
    assert doc["recorded"]["commit"] == git(root, "rev-parse", "HEAD").strip()
    assert git(root, "rev-parse", "HEAD~1") == parent
    assert_released(root, fresh_pypiserver, served)


def test_killed_between_the_commit_and_the_tag(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, branch = project(tmp_path, fresh_pypiserver)
    env = creds(staging=fresh_pypiserver)
    killed(shipyard, root, env, f"committed refs/heads/{branch}")
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert git(root, "log", "-1", "--format=%s").strip() == "chore(release): tiny-pkg 1.3.0"
    assert git(root, "tag", "--list") == "v1.2.0\n"  # committed, not tagged: the dead end of issue 12
    assert git(root, "status", "--porcelain")  # and the files not yet written
    (root / ".git" / "index.lock").touch()  # as a killed `git reset` would leave it
    refused = shipyard("release", "--bump", *FAST, "-C", str(root), env=env)
    assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1, refused.text
    assert f"error: {root / '.git' / 'index.lock'} is left over" in refused.err
    (root / ".git" / "index.lock").unlink()
    again = shipyard("release", "--bump", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    assert "finishing its record" in again.out + again.err and "tagged v1.3.0" in again.out
    assert_released(root, fresh_pypiserver, served)


def test_killed_before_the_push(shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex) -> None:
    root, branch = project(tmp_path, fresh_pypiserver)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", branch)
    pushed = git(remote, "rev-parse", f"refs/heads/{branch}")
    env = creds(staging=fresh_pypiserver)
    killed(shipyard, root, env, "committed refs/tags/v1.3.0", "--push")
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert git(root, "rev-parse", "v1.3.0^{commit}") == git(root, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == pushed  # nothing pushed yet
    assert git(remote, "tag", "--list") == ""
    # a different command is told which one finishes the release
    other = shipyard("release", "--tag", "v1.3.0", *FAST, "-C", str(root), env=env)
    assert other.code == 2 and "finish it with `shipyard release --bump auto`" in other.err, other.text
    again = shipyard("release", "--bump", "--push", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    assert f"pushed {branch} and v1.3.0 to origin" in again.out + again.err
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == git(root, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", "v1.3.0^{commit}") == git(root, "rev-parse", "HEAD")
    assert_released(root, fresh_pypiserver, served)
