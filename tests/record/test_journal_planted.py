"""A journal is data, not orders (issue 21, point 15): `.shipyard/state/record.json` is written by
shipyard, but whoever can write the work tree can plant one, and `release` finishes a journal it
finds. A planted journal that writes through a link out of the repository, names an option as its
remote, or tags a version the audit log does not show published is refused with one line (exit 2)
naming the file and what is wrong: nothing written, nothing run, no tag, HEAD where it was.

The project is first released for real (1.0.0 to a real pypiserver: the audit log has it), so each
planted journal differs from one shipyard could have written only in what is refused.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import ShipyardCLI, git, tag
from tests.helpers.releases import creds, staging_project

pytestmark = pytest.mark.integration

FAST = ("--no-test-install", "--no-verify-install")


def released(shipyard: ShipyardCLI, tmp_path: Path, index: TestIndex) -> tuple[Path, dict[str, str]]:
    root, env = staging_project(tmp_path, index)
    tag(root, "v1.0.0")
    run = shipyard("release", "--tag", "v1.0.0", *FAST, "-C", str(root), env=env)
    assert run.code == 0, run.text
    return root, env


def plant(
    root: Path,
    *,
    version: str = "1.0.0",
    commit: str | None = None,
    files: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    push: bool = False,
    remote: str = "origin",
) -> Path:
    """A journal as shipyard writes one, for tiny-pkg `version`, finished by `shipyard release`."""
    steps = {
        "parent": git(root, "rev-parse", "HEAD").strip(),
        "commit": commit,
        "files": list(files),
        "tags": [{"name": t, "message": t} for t in tags],
        "branch": None,
        "push": push,
        "remote": remote,
    }
    release = {
        "name": "tiny-pkg",
        "version": version,
        "mode": "tag",
        "tag": f"v{version}",
        "dists": [],
        "stages": ["staging"],
        "command": "shipyard release",
    }
    path = root / ".shipyard" / "state" / "record.json"
    path.write_text(json.dumps({"steps": steps, "release": release}))
    return path


def refused(shipyard: ShipyardCLI, root: Path, env: dict[str, str], journal: Path, said: str) -> None:
    head, tags = git(root, "rev-parse", "HEAD"), git(root, "tag", "--list")
    run = shipyard("release", *FAST, "-C", str(root), env=env)
    assert run.code == 2, run.text
    [line] = run.err.strip().splitlines()
    assert line.startswith(f"error: {journal} is not a record shipyard can finish: {said}")
    assert line.endswith("nothing was done (remove the file if no shipyard run of yours wrote it)")
    assert "finishing its record" not in run.out
    assert git(root, "rev-parse", "HEAD") == head and git(root, "tag", "--list") == tags


def test_a_journal_writing_through_a_link_out_of_the_repository_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = released(shipyard, tmp_path, fresh_pypiserver)
    outside = tmp_path / "outside"
    outside.mkdir()
    # a commit holding escape/pwned.txt, and in the work tree escape/ is a link to a folder outside
    (root / "escape").mkdir()
    (root / "escape" / "pwned.txt").write_text("planted\n")
    git(root, "add", "escape")
    tree = git(root, "write-tree").strip()
    sha = git(root, "commit-tree", tree, "-p", "HEAD", "-m", "chore(release): tiny-pkg 1.0.0").strip()
    git(root, "reset", "-q")
    (root / "escape" / "pwned.txt").unlink()
    (root / "escape").rmdir()
    (root / "escape").symlink_to(outside)
    journal = plant(root, commit=sha, files=("escape/pwned.txt",))
    refused(shipyard, root, env, journal, "its file 'escape/pwned.txt' lies outside the repository")
    assert list(outside.iterdir()) == []


def test_a_journal_whose_remote_is_an_option_runs_nothing(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = released(shipyard, tmp_path, fresh_pypiserver)
    marker = tmp_path / "ran"
    # git push --receive-pack=CMD refs/tags/v1.0.0 refs/tags/v1.0.0-b: the first ref is taken for the
    # repository, a local one (planted), and CMD runs as its receive-pack
    subprocess.run(["git", "init", "-q", "--bare", str(root / "refs" / "tags" / "v1.0.0")], check=True)
    remote = f"--receive-pack=touch {marker}; false"
    journal = plant(root, tags=("v1.0.0", "v1.0.0-b"), push=True, remote=remote)
    refused(shipyard, root, env, journal, f"its remote {remote!r} is not the configured remote 'origin'")
    assert not marker.exists()


def test_a_journal_tagging_a_version_never_published_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = released(shipyard, tmp_path, fresh_pypiserver)
    journal = plant(root, version="9.9.9", tags=("v9.9.9",))
    log = root / ".shipyard" / "audit.jsonl"
    refused(
        shipyard, root, env, journal, f"the audit log ({log}) shows no publish of tiny-pkg 9.9.9 to staging"
    )
    assert git(root, "tag", "--list") == "v1.0.0\n"


def test_a_packaging_repository_journal_tagging_a_package_never_published_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    """`release --changed` finishes a journal too: one naming a package no stage has is refused."""
    root = example_repo(tmp_path, '"staging"', staging=fresh_pypiserver)
    head = git(root, "rev-parse", "HEAD").strip()
    steps: dict[str, object] = {
        "parent": head,
        "commit": None,
        "files": [],
        "branch": None,
        "push": False,
        "remote": "origin",
    }
    steps["tags"] = [{"name": "menu-v0.1.0", "message": "menu 0.1.0"}]
    package = {"name": "menu", "version": "0.1.0", "tag": "menu-v0.1.0", "dists": [], "stages": ["staging"]}
    path = root / ".shipyard" / "state" / "record.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"steps": steps, "release": {"packages": [package], "command": "shipyard release --changed"}}
    path.write_text(json.dumps(doc))
    run = shipyard("release", "--changed", *FAST, "-C", str(root), env=creds(staging=fresh_pypiserver))
    assert run.code == 2, run.text
    [line] = run.err.strip().splitlines()
    log = root / ".shipyard" / "audit.jsonl"
    assert line.startswith(
        f"error: {path} is not a record shipyard can finish: the audit log ({log}) shows no publish of "
        "menu 0.1.0 to staging"
    )
    assert git(root, "tag", "--list") == "" and git(root, "rev-parse", "HEAD").strip() == head
