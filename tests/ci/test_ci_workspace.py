"""`shipyard ci init` at a workspace root writes the build-once matrix of a packaging repository
(plan job -> a job per member and stage -> one record job), and the commands it runs work at a
workspace root: the build job's dry run into dist/NAME/, a matrix job's unrecorded release of one
member from those files, and the record job that finds them published and records once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import creds, uploads
from tests.helpers.workspaces import uv_workspace


def test_ci_init_writes_the_matrix_pipeline(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = uv_workspace(tmp_path / "ws")
    text = (
        (root / "pyproject.toml").read_text().replace('stages = ["local"]', 'stages = ["testpypi", "pypi"]')
    )
    (root / "pyproject.toml").write_text(text)
    git(root, "commit", "-qam", "chore: real stages")
    run = shipyard("ci", "init", "--github", "-C", str(root))
    assert run.code == 0, run.text
    workflow = (root / ".github" / "workflows" / "release.yml").read_text()
    assert 'shipyard plan --changed --json > "$RUNNER_TEMP/plan.json"' in workflow
    assert "shipyard release --changed --no-record --stages pypi" in workflow
    assert "SHIPYARD_PACKAGE: ${{ matrix.packages }}" in workflow  # a batch of members a job, past 64
    assert "shipyard release --changed --push --no-test-install" in workflow
    assert "assemble" not in workflow  # no packaging repository's docs job
    checked = shipyard("ci", "check", "-C", str(root))
    assert checked.code == 0, checked.text


@pytest.mark.integration
def test_the_matrix_commands_release_and_record_a_workspace(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    env = creds(staging=fresh_pypiserver)
    root = uv_workspace(tmp_path / "ws", fresh_pypiserver)
    plan = shipyard("plan", "--changed", "--json", "-C", str(root))
    assert plan.code == 0, plan.text
    assert [p["name"] for p in json.loads(plan.out)["packages"]] == ["alpha", "gamma", "beta"]
    built = shipyard("release", "--changed", "--stages", "local", "--dry-run", "-C", str(root), env=env)
    assert built.code == 0, built.text
    assert sorted(p.name for p in (root / "dist").iterdir()) == ["alpha", "beta", "gamma"]
    dist = tmp_path / "handed-over"
    (root / "dist").rename(dist)
    for member in ("beta", "gamma"):  # beta's job publishes alpha too (what it requires)
        job = shipyard(
            "release", "--changed", "--package", member, "--no-record", "--stages", "staging",
            "--dists", str(dist), "--no-test-install", "-C", str(root), env=env,
        )  # fmt: skip
        assert job.code == 0, job.text
    assert git(root, "tag", "--list") == ""
    assert sorted(fresh_pypiserver.served_files("alpha")) == [
        "alpha-1.0.0-py3-none-any.whl",
        "alpha-1.0.0.tar.gz",
    ]
    record = shipyard(
        "release", "--changed", "--json", "--no-test-install", "--stages", "staging", "--dists", str(dist),
        "-C", str(root), env=env,
    )  # fmt: skip
    assert record.code == 0, record.text
    assert sorted(json.loads(record.out)["tags"]) == ["alpha-v1.0.0", "beta-v0.3.0", "gamma-v2.1.0"]
    assert len(uploads(root)) == 6  # the record job uploaded nothing again
