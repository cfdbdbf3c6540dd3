"""Every secret is known to the redactor before a release writes any text: a token pasted into a
commit subject reaches neither CHANGELOG.md, nor the release commit, nor its tag, nor the sdist that
packs the CHANGELOG (issue 12, point 1)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from uv import find_uv_bin

from tests.helpers.indexes import start_pypiserver
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml, tag

pytestmark = pytest.mark.integration


def _commit_subject(root: Path, subject: str, path: str) -> None:
    """A change to `path` whose commit subject holds the token (the file does not: check refuses a
    dist holding a credential's value, tests/release/test_tree_confined.py)."""
    with (root / path).open("a") as f:
        f.write("# a change\n")
    git(root, "commit", "-qam", subject)


# no pypi- prefix: only the registered Secret can mask it, not the PyPI token pattern
TOKEN = "Zq7Vx-staging-4f19c2b8e6d04a7b"


def test_a_token_in_a_commit_subject_stays_out_of_changelog_commit_tag_and_sdist(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    (tmp_path / "server").mkdir()
    with start_pypiserver(tmp_path / "server", users={"__token__": TOKEN}) as server:
        tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=server)
        root = make_project(tmp_path / "proj", version="1.2.0", tool=tool, with_tests=False)
        (root / "CHANGELOG.md").write_text(
            "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-01-01\n\n- one\n"
        )
        subprocess.run([find_uv_bin(), "lock", "--offline", "--quiet"], cwd=root, check=True)
        git(root, "add", "-A")
        git(root, "commit", "-qm", "chore: changelog")
        tag(root, "v1.2.0")
        _commit_subject(root, f"feat: log in with {TOKEN} by default", "src/tiny_pkg/__init__.py")

        run = shipyard(
            "release", "--bump", "--no-test-install", "-C", str(root), env={"SHIPYARD_STAGING_TOKEN": TOKEN}
        )

        assert run.code == 0, run.text
        assert TOKEN not in run.text
        changelog = (root / "CHANGELOG.md").read_text()
        assert "### Added\n\n- log in with *** by default" in changelog and TOKEN not in changelog
        assert TOKEN not in git(root, "show", "HEAD:CHANGELOG.md")
        message = git(root, "log", "-1", "--format=%B") + git(root, "tag", "-l", "-n99", "v1.3.0")
        assert "log in with *** by default" in message and TOKEN not in message
        with tarfile.open(server.root / "tiny_pkg-1.3.0.tar.gz") as sdist:
            member = sdist.extractfile("tiny_pkg-1.3.0/CHANGELOG.md")
            assert member is not None
            packed = member.read().decode()
        assert "log in with *** by default" in packed and TOKEN not in packed


def test_a_token_in_a_commit_subject_stays_out_of_a_packaging_repositorys_changelog_and_commit(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    (tmp_path / "server").mkdir()
    with start_pypiserver(tmp_path / "server", users={"__token__": TOKEN}) as server:
        root = example_repo(tmp_path, '"staging"', staging=server)
        env = {"SHIPYARD_STAGING_TOKEN": TOKEN}
        first = shipyard("release", "--no-test-install", "-C", str(root), env=env)
        assert first.code == 0, first.text
        _commit_subject(root, f"feat(greetings): greet with {TOKEN}", "modules/greetings.py")

        run = shipyard("release", "--no-test-install", "-C", str(root), env=env)

        assert run.code == 0, run.text
        assert TOKEN not in run.text
        changelog = (root / "docs" / "greetings" / "CHANGELOG.md").read_text()
        assert "greet with ***" in changelog and TOKEN not in changelog
        assert TOKEN not in git(root, "log", "-1", "--format=%B") + git(root, "tag", "-l", "-n99")


# GitLab's token without its glpat- prefix: no pattern knows it, only its variable's name does
GITLAB = "Wk4rT9-forge-1c7e0b5d3a9f"


def test_the_forges_token_in_a_commit_subject_is_masked_everywhere_a_release_writes(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """The forge's token is used at the end (the forge release) but known to the redactor from the
    start: the CHANGELOG, the release commit, its tag and the output never show it (issue 21, 9)."""
    (tmp_path / "server").mkdir()
    with start_pypiserver(tmp_path / "server", users={"__token__": TOKEN}) as server:
        tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=server)
        root = make_project(tmp_path / "proj", version="1.2.0", tool=tool, with_tests=False)
        (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "chore: changelog")
        tag(root, "v1.2.0")
        _commit_subject(root, f"fix: rotate {GITLAB} after the leak", "src/tiny_pkg/__init__.py")
        gitlab = {
            "GITLAB_CI": "true",
            "GITLAB_TOKEN": GITLAB,
            "CI_PROJECT_ID": "7",
            "CI_API_V4_URL": "http://127.0.0.1:9/api/v4",  # never called: the tag is not pushed
            "SHIPYARD_STAGING_TOKEN": TOKEN,
        }

        planned = shipyard("plan", "--json", "-C", str(root), env=gitlab)
        run = shipyard("release", "--bump", "--no-test-install", "-C", str(root), env=gitlab)

        assert planned.code == 0 and "rotate *** after the leak" in planned.out, planned.text
        assert GITLAB not in planned.text
        assert run.code == 0, run.text
        assert GITLAB not in run.text
        changelog = (root / "CHANGELOG.md").read_text()
        assert "rotate *** after the leak" in changelog and GITLAB not in changelog
        message = git(root, "log", "-1", "--format=%B")
        tag_message = git(root, "tag", "-l", "-n99", "v1.2.1")
        assert "rotate *** after the leak" in message and "rotate *** after the leak" in tag_message
        assert GITLAB not in message and GITLAB not in tag_message
