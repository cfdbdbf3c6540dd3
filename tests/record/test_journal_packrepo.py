"""`release --changed` journals its record like a single project: a packaging repository's release
killed anywhere in its record (before the branch moves, between the commit and the tags, between two
tags, before the push) is finished by re-running the same command, which builds and publishes
nothing again; the one commit and every package's tag end up as an unbroken run would leave them.

The kills are real SIGKILLs at git ref updates (tests/helpers/gitkill.py), on the example packaging
repository against a real pypiserver.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shipyard.record import journal, writer
from tests.helpers.gitkill import install_kill_hook
from tests.helpers.indexes import TestIndex
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import creds, uploads

pytestmark = pytest.mark.integration

FAST = ("--no-test-install", "--no-verify-install")
PACKAGES = ("greetings", "recipes", "menu")
SUBJECT = "chore(release): greetings 0.1.0, recipes 0.1.0, menu 0.1.0"


def repo(tmp_path: Path, index: TestIndex) -> tuple[Path, str, dict[str, str]]:
    """The example packaging repository, its only stage the pypiserver, the kill hook installed."""
    root = example_repo(tmp_path, '"staging"', staging=index)
    install_kill_hook(root)
    return root, git(root, "branch", "--show-current").strip(), creds(staging=index)


def killed(shipyard: ShipyardCLI, root: Path, env: dict[str, str], at: str, *extra: str) -> None:
    run = shipyard(
        "release",
        "--changed",
        *FAST,
        *extra,
        "-C",
        str(root),
        env={**env, "KILL_AT": at, "SHIPYARD_PASS_ENV": "KILL_AT"},
    )
    assert run.code == -9, run.text  # SIGKILLed
    assert (root / ".shipyard" / "state" / "record.json").is_file()  # the journal was written first


def served(index: TestIndex) -> dict[str, dict[str, str]]:
    return {name: index.served_files(name) for name in PACKAGES}


def assert_released(root: Path, index: TestIndex, files: dict[str, dict[str, str]]) -> None:
    head = git(root, "rev-parse", "HEAD").strip()
    assert git(root, "log", "-1", "--format=%s").strip() == SUBJECT
    assert git(root, "log", "--format=%s").count("chore(release)") == 1  # one commit
    for name in PACKAGES:
        assert git(root, "rev-parse", f"{name}-v0.1.0^{{commit}}").strip() == head
        assert "## [0.1.0]" in (root / "docs" / name / "CHANGELOG.md").read_text()
    assert "| menu | 0.1.0 |" in (root / "README.md").read_text()
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".shipyard" / "state" / "record.json").exists()
    assert served(index) == files  # the very files, uploaded once each
    assert uploads(root) == sorted(f for name in PACKAGES for f in files[name])


def test_killed_after_the_publish_before_the_commit(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, branch, env = repo(tmp_path, fresh_pypiserver)
    parent = git(root, "rev-parse", "HEAD")
    killed(shipyard, root, env, f"prepared refs/heads/{branch}")
    files = served(fresh_pypiserver)
    assert [len(files[name]) for name in PACKAGES] == [2, 2, 2]  # a wheel and an sdist each
    assert git(root, "rev-parse", "HEAD") == parent and git(root, "tag", "--list") == ""
    assert git(root, "status", "--porcelain") == ""
    # a tag lock a killed `git tag` would leave: named, nothing else done
    lock = root / ".git" / "refs" / "tags" / "menu-v0.1.0.lock"
    lock.touch()
    refused = shipyard("release", "--changed", *FAST, "-C", str(root), env=env)
    assert refused.code == 2, refused.text
    assert refused.err.strip().splitlines() == [
        f"error: {lock} is left over from a git command that was stopped: remove it (when no git "
        "command is running in this repository) and re-run"
    ]
    lock.unlink()
    # another command is told the one that finishes the release, and does nothing
    other = shipyard("release", "--changed", "--package", "menu", *FAST, "-C", str(root), env=env)
    assert other.code == 2 and len(other.err.strip().splitlines()) == 1, other.text
    assert "greetings 0.1.0, recipes 0.1.0 and menu 0.1.0 are published and verified" in other.err
    assert "finish it with `shipyard release --changed`" in other.err
    assert git(root, "rev-parse", "HEAD") == parent and git(root, "tag", "--list") == ""
    again = shipyard("release", "--changed", "--json", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    doc = json.loads(again.out)
    assert [(p["name"], p["version"]) for p in doc["packages"]] == [(n, "0.1.0") for n in PACKAGES]
    assert [[s["resumed"] for s in p["stages"]] for p in doc["packages"]] == [[True]] * 3
    assert doc["commit"] == git(root, "rev-parse", "HEAD").strip()
    assert sorted(doc["tags"]) == sorted(f"{n}-v0.1.0" for n in PACKAGES)
    assert git(root, "rev-parse", "HEAD~1") == parent
    assert_released(root, fresh_pypiserver, files)
    # recorded: what the next run sees left to release is nothing
    assert shipyard("release", "--changed", *FAST, "-C", str(root), env=env).code == 3


def test_killed_between_the_commit_and_the_tags_and_again_between_two_tags(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, branch, env = repo(tmp_path, fresh_pypiserver)
    killed(shipyard, root, env, f"committed refs/heads/{branch}")
    files = served(fresh_pypiserver)
    assert git(root, "log", "-1", "--format=%s").strip() == SUBJECT
    assert git(root, "tag", "--list") == ""
    assert git(root, "status", "--porcelain")  # the branch moved, the files not yet: once a dead end
    # the re-run is killed too, after the first two tags
    killed(shipyard, root, env, "committed refs/tags/recipes-v0.1.0")
    assert git(root, "status", "--porcelain") == ""  # the files followed the branch
    assert git(root, "tag", "--list").split() == ["greetings-v0.1.0", "recipes-v0.1.0"]
    again = shipyard("release", "--changed", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    said = again.out + again.err
    assert "were published and verified by a run that stopped: finishing their record" in said
    assert "tagged greetings-v0.1.0, recipes-v0.1.0, menu-v0.1.0" in said
    assert_released(root, fresh_pypiserver, files)


def test_killed_before_the_push(shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex) -> None:
    root, branch, env = repo(tmp_path, fresh_pypiserver)
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", branch)
    pushed = git(remote, "rev-parse", f"refs/heads/{branch}")
    killed(shipyard, root, env, "committed refs/tags/menu-v0.1.0", "--push")
    files = served(fresh_pypiserver)
    assert git(root, "rev-parse", "menu-v0.1.0^{commit}") == git(root, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == pushed  # nothing pushed yet
    assert git(remote, "tag", "--list") == ""
    again = shipyard("release", "--changed", "--push", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    assert "and pushed" in again.out + again.err
    head = git(root, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", f"refs/heads/{branch}") == head
    for name in PACKAGES:
        assert git(remote, "rev-parse", f"{name}-v0.1.0^{{commit}}") == head
    assert_released(root, fresh_pypiserver, files)


def test_a_journal_of_the_other_release_kind_is_refused_naming_its_command(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    """A tree that is both (a pyproject.toml beside the shipyard.toml) finishes each journal only
    with the command that wrote it; nothing is recorded by the other."""
    root, branch, env = repo(tmp_path, fresh_pypiserver)
    head = git(root, "rev-parse", "HEAD").strip()
    steps = writer.Steps(head, None, (), (writer.Tag("v9.9.9", "m"),), branch, False, "origin")
    single = {"name": "tiny-pkg", "version": "9.9.9", "command": "shipyard release --bump auto"}
    journal.save(root, journal.Journal(steps, single))
    run = shipyard("release", "--changed", *FAST, "-C", str(root), env=env)
    assert run.code == 2 and len(run.err.strip().splitlines()) == 1, run.text
    assert "tiny-pkg 9.9.9 is published and verified" in run.err
    assert "finish it with `shipyard release --bump auto`" in run.err
    (root / "pyproject.toml").write_text('[project]\nname = "tiny-pkg"\nversion = "9.9.9"\n')
    changed = {"packages": [{"name": "menu", "version": "0.1.0"}], "command": "shipyard release --changed"}
    journal.save(root, journal.Journal(steps, changed))
    run = shipyard("release", *FAST, "-C", str(root), env=env)
    assert run.code == 2 and len(run.err.strip().splitlines()) == 1, run.text
    assert "finish it with `shipyard release --changed`" in run.err
    assert git(root, "tag", "--list") == "" and git(root, "rev-parse", "HEAD").strip() == head
