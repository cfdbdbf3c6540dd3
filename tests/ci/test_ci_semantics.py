"""The generated release steps under their runner's real semantics, on a real packaging repository:
an Azure `bash` step runs as `bash --noprofile --norc FILE`, without -e; GitLab, Azure and Travis fail
a job on any non-zero exit, so the packaging repository's "nothing to release" (exit 3, as right
after the release commit the job pushed itself) must count as success, and a bad Package must stop
the step before anything is released."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shipyard.ci.generate import providers
from tests.helpers.indexes import TestIndex
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import command_env, git

pytestmark = pytest.mark.integration


def _runner_env(home: Path, **extra: str) -> dict[str, str]:
    """A runner's shell: the commands under test's environment, with shipyard and python on PATH."""
    env = command_env(home)
    env.update(PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""), **extra)
    return env


def _azure_release_step(root: Path) -> str:
    [made] = providers.pipelines(root, ["azure"], None)
    doc = yaml.safe_load(made.text)
    steps = doc["stages"][1]["jobs"][0]["steps"]
    [step] = [s for s in steps if s.get("displayName") == "release"]
    script: str = step["bash"]
    return script


def _released(root: Path) -> set[str]:
    return set(git(root, "tag", "--list").split())


# the pipeline is generated for a real index (ci init refuses a runner-local stage); each run here
# releases to the runner's own folder index instead (STAGES / SHIPYARD_STAGES, as a manual run picks)
NOWHERE = TestIndex("none", "http://127.0.0.1:9/legacy/", "http://127.0.0.1:9/simple/", "", "", Path())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = example_repo(tmp_path, '"staging"', staging=NOWHERE)
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    git(root, "branch", "-q", "--set-upstream-to=origin/main")
    return root


def _azure(root: Path, tmp_path: Path, package: str) -> subprocess.CompletedProcess[str]:
    step = tmp_path / "release-step.sh"
    step.write_text(_azure_release_step(root))
    env = _runner_env(tmp_path, STAGES="local", PACKAGE=package)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", str(step)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_azure_package_guard_stops_the_step_and_the_package_is_passed_through(
    repo: Path, tmp_path: Path
) -> None:
    first = _azure(repo, tmp_path, "all")
    assert first.returncode == 0, first.stdout + first.stderr
    before = _released(repo)
    assert {"greetings-v0.1.0", "recipes-v0.1.0", "menu-v0.1.0"} <= before

    again = _azure(repo, tmp_path, "all")  # nothing changed since: exit 3 is success here
    assert again.returncode == 0, again.stdout + again.stderr
    assert _released(repo) == before

    for module in ("greetings", "recipes"):
        path = repo / "modules" / f"{module}.py"
        path.write_text(path.read_text() + "\n# a change\n")
    git(repo, "commit", "-qam", "fix: greetings and recipes change")
    unknown = _azure(repo, tmp_path, "no-such-package")
    assert unknown.returncode != 0, "an unknown package must fail the step"
    assert "no-such-package has not changed since its last tag" in unknown.stderr
    assert _released(repo) == before, "nothing may be released after a failed package check"

    one = _azure(repo, tmp_path, "greetings")
    assert one.returncode == 0, one.stdout + one.stderr
    assert _released(repo) - before == {"greetings-v0.1.1"}, "only the package picked is released"


@pytest.mark.parametrize("ci", ["gitlab", "travis"])
def test_release_line_after_the_release_commit_is_green(ci: str, repo: Path, tmp_path: Path) -> None:
    [made] = providers.pipelines(repo, [ci], None)
    doc = yaml.safe_load(made.text)
    job = (
        doc["release"]
        if ci == "gitlab"
        else next(j for j in doc["jobs"]["include"] if j["stage"] == "release")
    )
    [line] = [s for s in job["script"] if "shipyard release" in s]
    env = _runner_env(tmp_path, SHIPYARD_STAGES="local")
    for _ in range(2):  # the release, then the pipeline its own push starts: nothing to release
        run = subprocess.run(
            ["bash", "-e", "-c", line],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    assert "greetings-v0.1.0" in _released(repo)
