"""`shipyard release --changed --push` in a packaging repository, against a real bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.packrepo import example_repo, run_json
from tests.helpers.projects import ShipyardCLI, git

PACKAGES = ("greetings", "recipes", "menu")


def with_remote(tmp_path: Path) -> tuple[Path, Path, str]:
    """The example repository with a bare `origin` that holds its first commit."""
    root = example_repo(tmp_path)
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    branch = git(root, "branch", "--show-current").strip()
    git(root, "push", "-q", "origin", branch)
    return root, remote, branch


def remote_state(remote: Path) -> str:
    """Every ref of the remote with what it points at."""
    return git(remote, "for-each-ref", "--format=%(refname) %(objectname)")


@pytest.mark.integration
def test_push_sends_the_release_commit_and_every_tag(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root, remote, branch = with_remote(tmp_path)
    doc = run_json(shipyard, "release", "--changed", "--push", "-C", str(root))
    assert [(p["name"], p["verified"]) for p in doc["packages"]] == [(n, True) for n in PACKAGES]
    assert doc["pushed"] is True
    head = git(root, "rev-parse", "HEAD").strip()
    assert doc["commit"] == head
    assert git(remote, "rev-parse", f"refs/heads/{branch}").strip() == head
    assert git(remote, "log", "-1", "--format=%s", branch).strip() == (
        "chore(release): greetings 0.1.0, recipes 0.1.0, menu 0.1.0"
    )
    for name in PACKAGES:
        assert git(remote, "rev-parse", f"{name}-v0.1.0^{{commit}}").strip() == head
        # annotated, as made locally
        assert git(remote, "cat-file", "-t", f"refs/tags/{name}-v0.1.0").strip() == "tag"
    # the remote's copy carries the records: changelogs and the package table
    assert "## [0.1.0]" in git(remote, "show", f"{branch}:docs/menu/CHANGELOG.md")
    assert "| menu | 0.1.0 |" in git(remote, "show", f"{branch}:README.md")
    # what CI clones next sees nothing left to release
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    again = shipyard("release", "--changed", "--push", "-C", str(clone))
    assert again.code == 3, again.text


@pytest.mark.integration
def test_failed_release_pushes_nothing(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root, remote, _ = with_remote(tmp_path)
    before = remote_state(remote)
    # the first package in dependency order fails its tests against the installed wheel; one package
    # at a time (--jobs 1), nothing after it starts (in parallel, recipes of the same level would
    # finish and be pushed: test_packrepo_parallel.py)
    (root / "tests" / "greetings" / "test_greetings.py").write_text(
        "def test_broken() -> None:\n    assert False\n"
    )
    git(root, "commit", "-qam", "break the greetings' tests")
    run = shipyard("release", "--changed", "--push", "--jobs", "1", "-C", str(root))
    assert run.code == 1, run.text
    assert "the tests fail against the installed wheel" in run.err
    assert remote_state(remote) == before
    assert git(root, "tag", "--list") == ""


@pytest.mark.integration
def test_partly_failed_release_pushes_only_what_verified(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """greetings and recipes are on the index and tagged: their tags reach the remote, so that the
    next CI run releases only menu; nothing of menu is pushed."""
    root, remote, branch = with_remote(tmp_path)
    (root / "tests" / "menu" / "test_menu.py").write_text("def test_broken() -> None:\n    assert False\n")
    git(root, "commit", "-qam", "break the menu's tests")
    run = shipyard("release", "--changed", "--push", "-C", str(root))
    assert run.code == 1, run.text
    assert "released greetings 0.1.0, recipes 0.1.0 before the failure" in run.err
    remote_tags = git(remote, "tag", "--list").split()
    assert sorted(remote_tags) == ["greetings-v0.1.0", "recipes-v0.1.0"]
    assert git(remote, "rev-parse", branch) == git(root, "rev-parse", "HEAD")
    assert "menu" not in git(remote, "show", f"{branch}:README.md").split("<!-- shipyard:packages -->")[1]
