"""A workspace release killed between two members' tags (a real SIGKILL at a git ref update,
tests/helpers/gitkill.py) is finished by the next `shipyard release`, which builds and uploads
nothing: one release commit, every member's tag, each file uploaded once; the run after that has
nothing to release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.gitkill import install_kill_hook
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import creds, uploads
from tests.helpers.workspaces import uv_workspace

pytestmark = pytest.mark.integration

FAST = ("--no-test-install", "--no-verify-install")
MEMBERS = (("alpha", "1.0.0"), ("gamma", "2.1.0"), ("beta", "0.3.0"))


def test_killed_between_two_members_tags_finishes_on_the_next_run(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = uv_workspace(tmp_path / "ws", fresh_pypiserver)
    install_kill_hook(root)
    env = creds(staging=fresh_pypiserver)
    killed = shipyard(
        "release",
        *FAST,
        "-C",
        str(root),
        env={**env, "KILL_AT": "committed refs/tags/alpha-v1.0.0", "SHIPYARD_PASS_ENV": "KILL_AT"},
    )
    assert killed.code == -9, killed.text  # SIGKILLed after alpha's tag, before gamma's
    assert (root / ".shipyard" / "state" / "record.json").is_file()
    assert git(root, "tag", "--list").split() == ["alpha-v1.0.0"]
    files = {name: fresh_pypiserver.served_files(name) for name, _ in MEMBERS}
    assert [len(f) for f in files.values()] == [2, 2, 2]
    # another command is told which one finishes the record, and does nothing
    other = shipyard("release", "--package", "gamma", *FAST, "-C", str(root), env=env)
    assert other.code == 2 and len(other.err.strip().splitlines()) == 1, other.text
    assert "finish it with `shipyard release`" in other.err
    again = shipyard("release", "--json", *FAST, "-C", str(root), env=env)
    assert again.code == 0, again.text
    doc = json.loads(again.out)
    assert [(p["name"], p["version"]) for p in doc["packages"]] == list(MEMBERS)
    assert all(s["resumed"] for p in doc["packages"] for s in p["stages"])
    head = git(root, "rev-parse", "HEAD").strip()
    assert git(root, "log", "--format=%s").count("chore(release)") == 1
    for name, version in MEMBERS:
        assert git(root, "rev-parse", f"{name}-v{version}^{{commit}}").strip() == head
        assert f"## [{version}]" in (root / "packages" / name / "CHANGELOG.md").read_text()
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".shipyard" / "state" / "record.json").exists()
    assert {name: fresh_pypiserver.served_files(name) for name, _ in MEMBERS} == files
    assert uploads(root) == sorted(f for found in files.values() for f in found)  # each file once
    assert shipyard("release", *FAST, "-C", str(root), env=env).code == 3
