"""A project with no tag yet (coming from twine or python-semantic-release): its last release is the
highest version the first stage serves (else the declared version), `--bump RULE` moves it, `--bump`
alone with no commit asking for a release names the `git tag` to make, and a first `--bump`
creates CHANGELOG.md and says so, unless `changelog = false` (issue 23, point 8). Through the CLI
against a real pypiserver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, commit, git, make_project, repositories_toml

pytestmark = pytest.mark.integration


def twine_released(
    shipyard: ShipyardCLI, tmp_path: Path, index: TestIndex, tool: str = ""
) -> tuple[Path, dict[str, str]]:
    """tiny-pkg 1.2.0 published to staging by a plain release (as twine would: no tag), then a
    commit whose message follows no convention."""
    table = '[tool.shipyard]\nstages = ["staging"]\n' + tool + "\n" + repositories_toml(staging=index)
    root = make_project(tmp_path / "proj", version="1.2.0", tool=table, with_tests=False)
    env = {"SHIPYARD_STAGING_USERNAME": index.username, "SHIPYARD_STAGING_PASSWORD": index.password}
    first = shipyard("release", "--no-test-install", "-C", str(root), env=env)
    assert first.code == 0, first.text
    assert git(root, "tag", "--list") == ""
    commit(root, "Add a loud mode")
    return root, env


def test_bump_rule_moves_the_version_the_first_stage_serves_and_creates_the_changelog(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = twine_released(shipyard, tmp_path, fresh_pypiserver)
    assert not (root / "CHANGELOG.md").exists()

    plan = shipyard("plan", "--bump", "minor", "-C", str(root), env=env)
    assert plan.code == 0, plan.text
    assert (
        "  next: 1.3.0 (tag v1.3.0), minor bump asked for on the command line, from 1.2.0 "
        "(the highest version staging serves, with no tag for it)\n" in plan.out
    )
    assert "  release --bump creates CHANGELOG.md and commits it (changelog = false: none)\n" in plan.out

    release = shipyard("release", "--bump", "minor", "--no-test-install", "-C", str(root), env=env)
    assert release.code == 0, release.text
    assert "creating CHANGELOG.md (the project has none; changelog = false keeps it out)" in release.text
    assert sorted(fresh_pypiserver.served_files("tiny-pkg")) == [
        "tiny_pkg-1.2.0-py3-none-any.whl",
        "tiny_pkg-1.2.0.tar.gz",
        "tiny_pkg-1.3.0-py3-none-any.whl",
        "tiny_pkg-1.3.0.tar.gz",
    ]
    assert git(root, "tag", "--list") == "v1.3.0\n"
    assert "CHANGELOG.md" in git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert "## [1.3.0]" in (root / "CHANGELOG.md").read_text()
    assert 'version = "1.3.0"' in (root / "pyproject.toml").read_text()


def test_bump_from_commits_that_ask_for_nothing_names_the_tag_to_make(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = twine_released(shipyard, tmp_path, fresh_pypiserver)
    release = shipyard("release", "--bump", "--no-test-install", "-C", str(root), env=env)
    assert release.code == 3, release.text
    assert release.err == (
        "error: nothing to release: 1.2.0 is the highest version staging serves, with no tag for it "
        "and no commit calls for a release: mark the commit 1.2.0 was released from with "
        "`git tag v1.2.0 COMMIT`, or pass --bump patch|minor|major\n"
    )
    assert len(fresh_pypiserver.served_files("tiny-pkg")) == 2

    commit(root, "feat: a conventional feature")
    plan = shipyard("plan", "--json", "-C", str(root), env=env)
    [package] = json.loads(plan.out)["packages"]
    assert (package["next_version"], package["creates_changelog"]) == ("1.3.0", True)


def test_changelog_false_keeps_the_first_bump_from_creating_one(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = twine_released(shipyard, tmp_path, fresh_pypiserver, tool="changelog = false\n")
    plan = shipyard("plan", "--bump", "patch", "-C", str(root), env=env)
    assert plan.code == 0, plan.text
    assert "next: 1.2.1 (tag v1.2.1)" in plan.out and "CHANGELOG" not in plan.out
    release = shipyard("release", "--bump", "patch", "--no-test-install", "-C", str(root), env=env)
    assert release.code == 0, release.text
    assert not (root / "CHANGELOG.md").exists() and "CHANGELOG" not in release.text
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == [
        "pyproject.toml",
        "src/tiny_pkg/__init__.py",
    ]
