"""`shipyard ci init`: every generated pipeline validates against its CI's schema, parses, and every
shell step passes `bash -n`; plus the properties a release pipeline must have."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import context
from shipyard.ci.generate import providers as generate
from shipyard.ci.generate.pins import ACTIONS
from shipyard.errors import ConfigError
from shipyard.plan.versions import TagPattern
from tests.helpers.pipelines import (
    CHECK_JSONSCHEMA,
    SCHEMAS,
    SHELL_KEYS,
    SINGLE_TOOL,
    cases,
    make_compiled,
    make_feed,
    make_packrepo,
    make_single,
)
from tests.helpers.projects import ShipyardCLI, git, make_project


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_single(tmp_path_factory)


@pytest.fixture(scope="module")
def packrepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_packrepo(tmp_path_factory)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_feed(tmp_path_factory)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_compiled(tmp_path_factory)


def shell_steps(node: Any, key: str = "") -> Iterator[str]:
    """Every shell script in a pipeline: the values of run/script/bash/... keys (a list is one script)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in SHELL_KEYS and isinstance(v, str):
                yield v
            elif k in SHELL_KEYS and isinstance(v, list) and all(isinstance(i, str) for i in v):
                yield "\n".join(v)
            else:
                yield from shell_steps(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from shell_steps(item, key)


def render(root: Path, ci: str, trigger: list[str] | None = None) -> tuple[str, Any]:
    [made] = generate.pipelines(root, [ci], trigger)
    return made.text, yaml.safe_load(made.text)


@pytest.mark.parametrize(("ci", "kind", "trigger"), list(cases()))
def test_generated_pipeline_is_valid(
    ci: str,
    kind: str,
    trigger: list[str] | None,
    single: Path,
    packrepo: Path,
    feed: Path,
    compiled: Path,
    tmp_path: Path,
) -> None:
    root = {"single": single, "packrepo": packrepo, "feed": feed, "compiled": compiled}[kind]
    text, doc = render(root, ci, trigger)
    assert text == render(root, ci, trigger)[0], "the same project must give the same bytes"
    path = tmp_path / importlib.import_module(f"shipyard.ci.generate.{ci}").PATH.replace("/", "_")
    path.write_text(text)
    checked = subprocess.run(
        [CHECK_JSONSCHEMA, *SCHEMAS[ci], str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    scripts = list(shell_steps(doc))
    assert any("shipyard" in s for s in scripts)
    for script in scripts:
        parsed = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
        assert parsed.returncode == 0, f"{script!r}: {parsed.stderr}"
    release = [s for s in scripts if "shipyard release" in s and "--dry-run" not in s]
    publish = [s for s in scripts if "shipyard publish --to" in s]
    assert release or publish, "no release step"
    if trigger and trigger[0] == "branch" and release:
        assert all(f"--if-branch {trigger[1]}" in s for s in release)


# ------------------------------------------------------------------ GitHub


def _jobs_needing(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job `name` waits for, directly or not."""
    found: set[str] = set()
    todo = [name]
    while todo:
        needs = jobs[todo.pop()].get("needs", [])
        for n in [needs] if isinstance(needs, str) else needs:
            if n not in found:
                found.add(n)
                todo.append(n)
    return found


def test_github_tag_release_ends_with_the_forge_release_job(single: Path) -> None:
    """The GitHub release of a tag comes from a job of its own after the last stage's: it may write
    to the repository (contents: write) and holds no upload credential or id-token."""
    _, doc = render(single, "github")
    stages = [name for name in doc["jobs"] if name.startswith("publish-")]
    job = doc["jobs"]["forge-release"]
    assert job["needs"] == [stages[-1]] and job["if"] == "github.ref_type == 'tag'"
    assert job["permissions"] == {"contents": "write"}
    step = job["steps"][-1]
    assert step["run"] == 'shipyard forge-release --tag "$REF_NAME"'
    assert set(step["env"]) == {"GITHUB_TOKEN", "REF_NAME"}
    # a release on branch pushes (--bump in the job) makes no tag of its own before: no such job
    _, branch = render(single, "github", ["branch", "main"])
    assert "forge-release" not in branch["jobs"]


@pytest.mark.parametrize("kind", ["single", "packrepo"])
def test_github_release_hygiene(kind: str, single: Path, packrepo: Path) -> None:
    text, doc = render(single if kind == "single" else packrepo, "github")
    assert doc["permissions"] == {}  # each job asks for its own
    jobs = doc["jobs"]
    for name, job in jobs.items():
        writes = name in ("record", "forge-release")  # the changelog commit and tags; the GitHub release
        assert job["permissions"].get("contents", "read") in ("read", "write" if writes else "read")
        if job["permissions"].get("id-token") == "write":  # pages too (issue 22, point 9)
            assert job["concurrency"]["cancel-in-progress"] is False, f"{name} may run twice at once"
        runs = " ".join(s.get("run", "") for s in job.get("steps", []))
        uses = " ".join(s.get("uses", "") for s in job.get("steps", []))
        publishes = ("shipyard publish" in runs or "shipyard release" in runs) and "--dry-run" not in runs
        if job.get("permissions", {}).get("id-token") == "write":
            assert publishes or "actions/deploy-pages" in uses, f"{name} gets id-token without publishing"
            assert "test" in _jobs_needing(jobs, name), f"{name} does not wait for the tests"
        elif publishes and name != "record":  # record finds every file published: it uploads nothing
            pytest.fail(f"{name} publishes without its own permissions")
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["fetch-depth"] == 0
    for line in re.findall(r"uses: (\S+ # \S+)", text):
        action, _, rest = line.partition("@")
        commit, _, version = rest.partition(" # ")
        assert re.fullmatch(r"[0-9a-f]{40}", commit), line
        assert ACTIONS[action] == (commit, version)
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(on) == {"push", "pull_request", "workflow_dispatch"}
    if kind == "single":
        assert on["push"]["tags"] == ["v[0-9]*"]
        assert jobs["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13", "3.14", "3.15"]
        assert [jobs[f"publish-{s}"]["environment"]["name"] for s in ("testpypi", "pypi")] == [
            "testpypi",
            "pypi",
        ]
        assert jobs["publish-pypi"]["needs"] == ["publish-testpypi"]
        steps = [s.get("run", "") for s in jobs["publish-pypi"]["steps"]]
        assert steps.index("shipyard publish --to pypi") < steps.index("shipyard verify --on pypi")
        upload = next(s for s in jobs["build"]["steps"] if s.get("with", {}).get("name") == "dist")
        assert upload["with"]["include-hidden-files"] is True  # the build manifest is a dot file
    else:
        stages = ["feed", "pypi"]
        for stage, before in zip(stages, ["plan", "publish-feed"], strict=True):
            job = jobs[f"publish-{stage}"]
            assert job["strategy"]["matrix"]["packages"] == "${{ fromJSON(needs.plan.outputs.batches) }}"
            assert job["environment"]["name"] == stage and before in job["needs"]
            assert job["permissions"] == {"contents": "read", "id-token": "write"}
            run = job["steps"][-1]["run"]
            assert (
                "--no-record" in run
                and job["steps"][-1]["env"]["SHIPYARD_PACKAGE"] == "${{ matrix.packages }}"
            )
            # the plan job's files, handed over: no stage job builds again
            assert run.endswith(f'--stages {stage} --dists "$RUNNER_TEMP/dist" --no-test-install')
        plan = jobs["plan"]["steps"]
        assert "shipyard plan --changed --json" in next(s for s in plan if s.get("id") == "plan")["run"]
        assert plan[-1]["uses"].startswith("actions/upload-artifact@") and plan[-1]["with"]["name"] == "dist"
        assert on["workflow_dispatch"]["inputs"]["package"]["type"] == "string"
        record = jobs["record"]
        # it may upload what a matrix job left undone: the last stage's environment and id-token
        assert record["permissions"] == {"contents": "write", "id-token": "write"}
        assert record["environment"]["name"] == "pypi" and "publish-pypi" in record["needs"]
        assert (
            "--push" in record["steps"][-1]["run"]
            and '--dists "$RUNNER_TEMP/dist"' in record["steps"][-1]["run"]
        )
        # the push and the forge release (README: The forge's release) both need the job's token
        assert record["steps"][-1]["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
        assert "idempotent" in text or "identical file as published" in text
        assert "--site-dir site" in " ".join(s.get("run", "") for s in jobs["docs"]["steps"])


# ------------------------------------------------------------------ GitLab


@pytest.mark.parametrize("pattern", ["v{version}", "release/{version}", "{version}"])
def test_gitlab_rule_matches_release_tags_only(pattern: str, single: Path, tmp_path: Path) -> None:
    root = tmp_path / "p"
    make_project(root, tool=f'[tool.shipyard]\nstages = ["testpypi", "pypi"]\ntag = "{pattern}"\n')
    _, doc = render(root, "gitlab")
    rule = doc["release"]["rules"][0]["if"]
    match = re.fullmatch(r"\$CI_COMMIT_TAG =~ /(.*)/", rule)
    assert match, rule
    regex = re.compile(match[1])
    tags = TagPattern(pattern)
    for version in ("1.2.3", "0.1", "2.0.0rc1", "1.0.0a2", "1.0.0.post1", "1.0.0.dev3", "10.20.30"):
        assert regex.search(tags.format(version, "tiny-pkg")), version
    for other in ("main", "pypi-release", "feature/v1", tags.format("1.2.3", "x") + "-broken", "v", ""):
        assert not regex.search(other), other
    assert doc["cleanup"]["rules"][0] == {"if": rule, "when": "always"}


def test_gitlab_release_job(single: Path, packrepo: Path) -> None:
    _, doc = render(single, "gitlab")
    assert doc["variables"]["GIT_DEPTH"] == "0"
    assert doc["stages"] == ["test", "build", "release", "cleanup"]
    # the build job, without credentials, builds and tests; the release job publishes its files
    build = doc["build"]
    assert "id_tokens" not in build and "environment" not in build
    assert build["script"][0] == 'shipyard release --tag "$CI_COMMIT_TAG" --stages local --dry-run'
    # the tools after the build (which wants a clean tree), with the extra that signs
    assert build["script"][1].endswith('--wheel-dir shipyard-tools "$SHIPYARD_SIGNING_REQUIREMENT"')
    assert build["artifacts"]["paths"] == ["dist/", "shipyard-tools/"]
    release = doc["release"]
    assert release["needs"] == ["build"]
    # one id token per audience the stages need (TestPyPI's audience is testpypi)
    assert release["id_tokens"] == {
        "TESTPYPI_ID_TOKEN": {"aud": "testpypi"},
        "PYPI_ID_TOKEN": {"aud": "pypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},
    }
    assert "test" in doc["build"]["needs"]
    assert release["script"] == ['shipyard release --tag "$CI_COMMIT_TAG" --dists dist --no-test-install']
    assert "rm -f ~/.pypirc .pypirc" in doc["cleanup"]["script"]
    assert doc["test"]["parallel"]["matrix"] == [{"PYTHON_VERSION": ["3.11", "3.12", "3.13", "3.14", "3.15"]}]
    _, doc = render(packrepo, "gitlab")
    assert doc["release"]["rules"][0]["if"] == '$CI_COMMIT_BRANCH == "main"'
    # exit 3 (nothing changed, as after the release commit this job pushes) is a green job; the
    # push token reaches git through its environment for that command only, never .git/config
    [script] = doc["release"]["script"]
    assert script.endswith(
        'shipyard release --changed --push --dists dist --no-test-install || [ "$?" -eq 3 ]\n'
    )
    assert "GIT_CONFIG_COUNT=2" in script and "set-url" not in made_text(packrepo, "gitlab")


# ------------------------------------------------------------------ Azure, Travis


def made_text(root: Path, ci: str) -> str:
    return render(root, ci)[0]


def test_azure_pipeline(single: Path, packrepo: Path) -> None:
    _, doc = render(single, "azure")
    assert doc["trigger"]["tags"]["include"] == ["v*"]
    assert [s["stage"] for s in doc["stages"]] == ["Build", "Release"]
    # a Dist job without credentials builds and tests; the Release stage publishes its artifact
    dist = next(j for j in doc["stages"][0]["jobs"] if j["job"] == "Dist")
    assert dist["steps"][-1] == {"publish": "dist", "artifact": "dist"}
    assert "--stages local --dry-run" in dist["steps"][-2]["bash"] and "env" not in dist["steps"][-2]
    release_steps = doc["stages"][1]["jobs"][0]["steps"]
    assert {"download": "current", "artifact": "dist"} in release_steps
    assert '--dists "$PIPELINE_WORKSPACE/dist" --no-test-install' in release_steps[-1]["bash"]
    assert doc["stages"][1]["dependsOn"] == "Build"
    assert "refs/tags/v" in doc["stages"][1]["condition"]
    assert doc["parameters"][0]["values"] == ["testpypi", "testpypi,pypi"]
    steps = [s for stage in doc["stages"] for job in stage["jobs"] for s in job["steps"]]
    assert all(s["fetchDepth"] == "0" for s in steps if "checkout" in s)
    _, doc = render(packrepo, "azure")
    # a packaging repository with a feed: by hand only, the feed picked on its own
    assert doc["trigger"] == "none" and doc["pr"] == "none"
    assert [p["name"] for p in doc["parameters"]] == ["feed", "stages", "package"]
    assert doc["parameters"][0]["values"] == ["feed", "none"]
    release = doc["stages"][1]["jobs"][0]["steps"]
    assert {"task": "TwineAuthenticate@1", "inputs": {"artifactFeed": "feed"}} in release
    env = release[-1]["env"]
    assert env["SHIPYARD_PYPIRC"] == "$(PYPIRC_PATH)"
    assert "SHIPYARD_FEED_TOKEN" not in env  # the feed signs in through TwineAuthenticate
    # the push: System.AccessToken for the release step, read by git's credential helper, no
    # persisted token
    assert env["SHIPYARD_PUSH_TOKEN"] == "$(System.AccessToken)"
    assert "persistCredentials" not in made_text(packrepo, "azure")


def test_travis_releases_once_and_verifies(single: Path) -> None:
    _, doc = render(single, "travis", ["branch", "pypi-release"])
    assert doc["git"] == {"depth": False}
    assert doc["stages"][-1] == {"name": "release", "if": "branch = pypi-release AND type = push"}
    assert doc["stages"][-2] == {"name": "build", "if": "branch = pypi-release AND type = push"}
    [build] = [j for j in doc["jobs"]["include"] if j["stage"] == "build"]
    assert build["script"][0] == "shipyard release --if-branch pypi-release --stages local --dry-run"
    assert build["workspaces"]["create"] == {"name": "release", "paths": ["dist", "shipyard-tools"]}
    [release] = [j for j in doc["jobs"]["include"] if j["stage"] == "release"]
    assert release["workspaces"] == {"use": "release"}
    assert release["script"] == [
        "shipyard release --if-branch pypi-release --dists dist --no-test-install",
        "shipyard verify --on testpypi",
        "shipyard verify --on pypi",
    ]


# ------------------------------------------------------------------ the command


def test_init_writes_once_and_refuses_to_overwrite(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", tool=SINGLE_TOOL)
    done = shipyard("ci", "init", "--github", "--gitlab", "--json", "-C", str(root))
    assert done.code == 0, done.err
    assert json.loads(done.out)["written"] == [".github/workflows/release.yml", ".gitlab-ci.yml"]
    before = (root / ".gitlab-ci.yml").read_text()
    (root / ".gitlab-ci.yml").write_text("# mine\n")
    again = shipyard("ci", "init", "--gitlab", "-C", str(root))
    assert again.code == 2
    assert again.err.strip() == "error: .gitlab-ci.yml exists: shipyard ci init replaces it only with --force"
    assert (root / ".gitlab-ci.yml").read_text() == "# mine\n"
    forced = shipyard("ci", "init", "--gitlab", "--force", "-C", str(root))
    assert forced.code == 0 and (root / ".gitlab-ci.yml").read_text() == before
    printed = shipyard("ci", "init", "--azure", "--stdout", "-C", str(root))
    assert printed.code == 0 and printed.out.startswith("# Generated by `shipyard ci init --azure`")
    assert not (root / "azure-pipelines.yml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say which CI"),
        (("--github", "--trigger", "main"), "a single package releases on a tag or a branch"),
        (("--github", "--trigger", "branch"), "--trigger branch needs one branch name"),
        (("--github", "--trigger", "nightly"), "--trigger nightly: use tag, branch NAME or main"),
    ],
)
def test_init_usage_errors(
    shipyard: ShipyardCLI, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    root = make_project(tmp_path / "p", tool=SINGLE_TOOL)
    done = shipyard("ci", "init", *args, "-C", str(root))
    assert done.code == 2
    assert message in done.err and len(done.err.strip().splitlines()) == 1


def test_local_only_stages_are_refused(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    done = shipyard("ci", "init", "--gitlab", "-C", str(root))
    assert done.code == 2 and "stages are only 'local'" in done.err


def test_packaging_repo_refuses_tag_trigger(shipyard: ShipyardCLI, packrepo: Path) -> None:
    done = shipyard("ci", "init", "--gitlab", "--stdout", "--trigger", "tag", "-C", str(packrepo))
    assert done.code == 2 and "use --trigger main or --trigger branch NAME" in done.err


# ------------------------------------------------------------------ the task runner


def test_task_runner_runs_for_real(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", tool=SINGLE_TOOL)
    done = shipyard("ci", "init", "--task-runner", "--makefile", "-C", str(root))
    assert done.code == 0, done.err
    run_sh = root / "run.sh"
    assert os.access(run_sh, os.X_OK)
    assert subprocess.run(["bash", "-n", str(run_sh)], check=False).returncode == 0
    assert "release-prod:\n\t./run.sh release:prod\n" in (root / "Makefile").read_text()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env = {k: v for k, v in env.items() if k not in ("CI",) and not k.startswith("SHIPYARD_")}
    helped = subprocess.run(
        ["./run.sh", "help"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0
    for task in ("install", "lint", "test", "build", "clean", "publish:test", "release:prod"):
        assert f"  {task} " in helped.stdout
    built = subprocess.run(
        ["./run.sh", "build"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    manifest = json.loads((root / "dist" / ".shipyard-build.json").read_text())
    assert len(manifest["files"]) == 2
    # a .env that git tracks is refused on a laptop; in CI ($CI set) .env is not read at all
    (root / ".env").write_text("SHIPYARD_TESTPYPI_TOKEN=pypi-not-a-real-token\n")
    git(root, "add", "-f", ".env")
    laptop = subprocess.run(
        ["./run.sh", "publish:test"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert laptop.returncode == 2 and "git tracks .env" in laptop.stderr
    ci = subprocess.run(
        ["./run.sh", "publish:test"],
        cwd=root,
        env={**env, "CI": "true"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "git tracks .env" not in ci.stderr and "pypi-not-a-real-token" not in ci.stdout + ci.stderr


# ------------------------------------------------------------------ the CPython table (issue 22, point 9)


def test_the_matrix_comes_from_the_table_of_supported_cpythons(tmp_path: Path) -> None:
    """One table of CPython minors with their first release and end of life (context.RELEASE_CYCLE):
    a matrix holds the minors released and not at their end on the table's date, as far as
    requires-python admits them; the release jobs run on the newest of those."""
    cycle = context.RELEASE_CYCLE
    minors = list(cycle)
    assert [int(m.split(".")[1]) for m in minors] == list(range(9, 9 + len(minors)))  # no gap
    for minor, (first, end) in cycle.items():
        assert first < end and int(end[:4]) - int(first[:4]) == 5, minor  # PEP 602: five years
    assert context.CPYTHON == ("3.11", "3.12", "3.13", "3.14", "3.15")  # as of December 2026
    assert max(first for first, _ in cycle.values()) <= context.AS_OF  # the table knows the newest
    root = make_project(tmp_path / "p", tool=SINGLE_TOOL)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('">=3.9"', '">=3.12,<3.15"'))
    git(root, "commit", "-qam", "3.12 to 3.14")
    _, github = render(root, "github")
    assert github["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.12", "3.13", "3.14"]
    setups = [
        s for s in github["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/setup-python")
    ]
    assert setups[0]["with"]["python-version"] == "3.14"  # the release jobs: the newest admitted
    _, gitlab = render(root, "gitlab")
    assert gitlab["default"]["image"] == "python:3.14"
    pyproject.write_text(pyproject.read_text().replace('">=3.12,<3.15"', '"<3.11"'))
    with pytest.raises(ConfigError, match=r"admits none of CPython 3\.11-3\.15"):
        render(root, "azure")
