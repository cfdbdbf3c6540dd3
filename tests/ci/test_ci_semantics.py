"""The generated release steps under their runner's real semantics, on a real packaging repository:
an Azure `bash` step runs as `bash --noprofile --norc FILE`, without -e; GitLab, Azure and Travis fail
a job on any non-zero exit, so the packaging repository's "nothing to release" (exit 3, as right
after the release commit the job pushed itself) must count as success, and a bad Package must stop
the step before anything is released."""

from __future__ import annotations

import os
import shutil
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


def _azure_steps(root: Path) -> tuple[str, str]:
    """The Dist job's build step (no credentials) and the Release stage's release step."""
    [made] = providers.pipelines(root, ["azure"], None)
    doc = yaml.safe_load(made.text)
    [dist] = [j for j in doc["stages"][0]["jobs"] if j["job"] == "Dist"]
    [build] = [s for s in dist["steps"] if s.get("displayName", "").startswith("build, check")]
    steps = doc["stages"][1]["jobs"][0]["steps"]
    [step] = [s for s in steps if s.get("displayName") == "release"]
    return build["bash"], step["bash"]


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
    """The Dist job's step, its `dist` artifact moved to the workspace as `download: current` puts
    it, then the release step, each as Azure runs a bash step."""
    build, release = _azure_steps(root)
    workspace = tmp_path / "pipeline-workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    shutil.rmtree(root / "dist", ignore_errors=True)
    env = _runner_env(
        tmp_path,
        STAGES="local",
        PACKAGE=package,
        PIPELINE_WORKSPACE=str(workspace),
        BUILD_REPOSITORY_URI=str(tmp_path / "origin.git"),
        SHIPYARD_PUSH_TOKEN="not-a-real-token",
    )
    for name, script in (("build", build), ("release", release)):
        step = tmp_path / f"{name}-step.sh"
        step.write_text(script)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", str(step)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if done.returncode or name == "release":
            return done
        workspace.mkdir()
        shutil.move(root / "dist", workspace / "dist")  # the artifact, out of the work tree
    raise AssertionError("unreachable")


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
    """The build job's line, then the release job's on its files: the push goes where the CI's
    variables say (here rewritten to the bare origin by the runner's git config, as a mirror
    would), with the token in git's environment only: .git/config is left as it was."""
    [made] = providers.pipelines(repo, [ci], None)
    doc = yaml.safe_load(made.text)
    jobs = {j["stage"]: j for j in doc.get("jobs", {}).get("include", [])}
    build, release = (doc["build"], doc["release"]) if ci == "gitlab" else (jobs["build"], jobs["release"])
    [built] = [s for s in build["script"] if "shipyard release" in s]
    [line] = [s for s in release["script"] if "shipyard release" in s]
    remote = (
        "https://forge.example.invalid/group/tools.git"
        if ci == "gitlab"
        else "https://github.com/group/tools.git"
    )
    (tmp_path / ".gitconfig").write_text(f'[url "{tmp_path / "origin.git"}"]\n\tinsteadOf = {remote}\n')
    variables = {"CI_SERVER_URL": "https://forge.example.invalid", "CI_PROJECT_PATH": "group/tools"}
    env = _runner_env(tmp_path, SHIPYARD_STAGES="local", TRAVIS_REPO_SLUG="group/tools", **variables)
    config = (repo / ".git" / "config").read_text()
    for _ in range(2):  # the release, then the pipeline its own push starts: nothing to release
        for script in (built, line):
            run = subprocess.run(
                ["bash", "-e", "-c", script],
                cwd=repo,
                env={**env, "SHIPYARD_PUSH_TOKEN": "not-a-real-token"} if script == line else env,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            assert run.returncode == 0, run.stdout + run.stderr
    assert "greetings-v0.1.0" in _released(repo)
    assert "greetings-v0.1.0" in git(repo, "ls-remote", "--tags", str(tmp_path / "origin.git"))
    assert (repo / ".git" / "config").read_text() == config
