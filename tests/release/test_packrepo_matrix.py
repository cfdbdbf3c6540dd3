"""The GitHub packaging-repository workflow's parallel release, run for real: its plan job's build
(every changed package built once), its matrix jobs' command as separate processes at once (one
clone each, as each CI job checks out its own copy, and the plan job's dist/ handed over) against a
real pypiserver, then its record job's command on the same files, which pushes to a bare origin."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import providers as generate
from tests.helpers.indexes import TestIndex, client_env
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import creds


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in client_env().items() if not k.startswith("SHIPYARD_") or k == "SHIPYARD_CACHE_DIR"
    }
    env.update(
        HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        SHIPYARD_JSON="1",
        GIT_AUTHOR_NAME="ci",
        GIT_AUTHOR_EMAIL="ci@example.invalid",
        GIT_COMMITTER_NAME="ci",
        GIT_COMMITTER_EMAIL="ci@example.invalid",
    )
    env.update(extra)
    return env


def _step(job: dict[str, Any], needle: str) -> str:
    run: str = next(s["run"] for s in job["steps"] if needle in s.get("run", ""))
    return run


def _clone(origin: Path, where: Path, dist: Path | None = None) -> Path:
    """A job's checkout; with `dist`, the plan job's dist/ downloaded to its $RUNNER_TEMP/dist."""
    subprocess.run(["git", "clone", "-q", str(origin), str(where / "work")], check=True)
    if dist is not None:
        shutil.copytree(dist, where / "temp" / "dist")
    return where / "work"


def _sha256s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def _plan(job: dict[str, Any], cwd: Path, home: Path, package: str, max_jobs: str = "") -> list[str]:
    """The plan step's `packages` (its `batches` as one job each: within the bound, the same)."""
    step = next(s for s in job["steps"] if s.get("id") == "plan")
    output = cwd.parent / "github_output"
    output.write_text("")
    extra = {
        "MAX_JOBS": max_jobs or step["env"]["MAX_JOBS"],
        "PACKAGE": package,
        "GITHUB_OUTPUT": str(output),
        "SHIPYARD_JSON": "",
        "RUNNER_TEMP": str(cwd.parent),
    }
    env = _env(home, **{**step["env"], **extra})
    done = subprocess.run(["bash", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    said = dict(line.split("=", 1) for line in output.read_text().splitlines())
    names: list[str] = json.loads(said["packages"])
    if not max_jobs:
        assert json.loads(said["batches"]) == names  # a job each
        return names
    batches: list[str] = json.loads(said["batches"])
    return batches


def _uploads(doc: dict[str, Any]) -> list[str]:
    return [
        f["filename"]
        for p in doc["packages"]
        for s in p["stages"]
        for f in s["files"]
        if f["action"] == "uploaded"
    ]


@pytest.mark.integration
def test_matrix_jobs_in_parallel_then_one_record(
    tmp_path: Path, fresh_pypiserver: TestIndex, home: Path, shipyard: ShipyardCLI
) -> None:
    work = example_repo(tmp_path, '"staging"', staging=fresh_pypiserver)
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(origin)], check=True)
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    [workflow] = generate.pipelines(work, ["github"], None)
    jobs = yaml.safe_load(workflow.text)["jobs"]
    matrix_cmd = _step(jobs["publish-staging"], "--no-record")
    record_cmd = _step(jobs["record"], "--push")
    secrets = creds(staging=fresh_pypiserver)

    # the plan job's step: the matrix of changed packages, or the one a manual run names
    names = _plan(jobs["plan"], work, home, "")
    assert names == ["greetings", "recipes", "menu"]  # menu imports recipes: both jobs publish recipes
    assert _plan(jobs["plan"], work, home, "menu") == ["menu"]
    with pytest.raises(AssertionError, match="nope has not changed since its last tag"):
        _plan(jobs["plan"], work, home, "nope")
    # past the bound, batches in dependency order (issue 25, point 4)
    assert _plan(jobs["plan"], work, home, "", max_jobs="2") == ["greetings", "recipes,menu"]

    # the plan job's build: every changed package once, into dist/ (handed to the jobs below)
    planned = _clone(origin, tmp_path / "job-plan")
    build = _step(jobs["plan"], "--stages local --dry-run")
    built = subprocess.run(["bash", "-c", build], cwd=planned, env=_env(home), capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    dist = planned / "dist"
    files = _sha256s(dist)
    assert len([f for f in files if f.endswith((".whl", ".tar.gz"))]) == 6, files

    # the matrix: one process per changed package, all at once, each in its own checkout
    procs = {
        name: subprocess.Popen(
            ["bash", "-c", matrix_cmd],
            cwd=_clone(origin, tmp_path / f"job-{name}", dist),
            env=_env(
                home, SHIPYARD_PACKAGE=name, RUNNER_TEMP=str(tmp_path / f"job-{name}" / "temp"), **secrets
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{name}: {err}"
        results[name] = json.loads(out)
    assert [p["name"] for p in results["menu"]["packages"]] == ["recipes", "menu"]
    assert all(r["tags"] == [] and r["commit"] is None for r in results.values())  # --no-record
    uploaded = Counter(f for r in results.values() for f in _uploads(r))
    served = {f for n in ("greetings", "recipes", "menu") for f in fresh_pypiserver.served_files(n)}
    assert set(uploaded) == served and len(served) == 6
    assert set(uploaded.values()) == {1}, f"a file was uploaded twice: {uploaded}"
    # what the index serves is the plan job's very files: nothing was built again
    for name in ("greetings", "recipes", "menu"):
        for filename, digest in fresh_pypiserver.served_files(name).items():
            assert files[filename] == digest, filename
    for name in names:  # a build writes its files to the checkout's dist/: no job built anything
        assert not (tmp_path / f"job-{name}" / "work" / "dist").exists(), name
    assert git(work, "ls-remote", "--tags", "origin") == ""

    # the record job: finds every file published and identical, verifies, records once, pushes
    record = _clone(origin, tmp_path / "job-record", dist)
    subprocess.run(["bash", "-c", _step(jobs["record"], "git config")], cwd=record, check=True)
    done = subprocess.run(
        ["bash", "-c", record_cmd],
        cwd=record,
        env=_env(
            home,
            STAGES="staging",
            SHIPYARD_PACKAGE=",".join(names),
            RUNNER_TEMP=str(tmp_path / "job-record" / "temp"),
            **secrets,
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert _uploads(doc) == [], "the record job uploaded again"
    assert not (record / "dist").exists(), "the record job built again"
    assert all(p["verified"] for p in doc["packages"])
    tags = {line.split("refs/tags/")[1] for line in git(work, "ls-remote", "--tags", "origin").splitlines()}
    assert {"greetings-v0.1.0", "recipes-v0.1.0", "menu-v0.1.0"} <= {t.removesuffix("^{}") for t in tags}
    head = git(work, "ls-remote", "origin", "refs/heads/main").split()[0]
    assert head == doc["commit"]
    git(work, "fetch", "-q", "origin")
    message = git(work, "log", "-1", "--format=%s", "origin/main")
    assert message.startswith("chore(release): ") and "menu 0.1.0" in message
    assert "## [0.1.0]" in git(work, "show", "origin/main:docs/menu/CHANGELOG.md")

    # a second run of a matrix job after the record: nothing changed since the tags, nothing uploaded
    again = subprocess.run(
        ["bash", "-c", matrix_cmd],
        cwd=_clone(origin, tmp_path / "job-again", dist),
        env=_env(
            home, SHIPYARD_PACKAGE="recipes,menu", RUNNER_TEMP=str(tmp_path / "job-again" / "temp"), **secrets
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 3, again.stderr
    assert {f for n in ("greetings", "recipes", "menu") for f in fresh_pypiserver.served_files(n)} == served


def test_package_narrows_to_it_and_its_changed_dependencies(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    run = shipyard(
        "release", "--package", "menu", "--no-record", "--no-test-install", "--json", "-C", str(root)
    )
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert [p["name"] for p in doc["packages"]] == ["recipes", "menu"]
    assert doc["tags"] == [] and git(root, "tag", "--list") == "" and git(root, "status", "--porcelain") == ""
    # recorded afterwards: the same builds are found in the (local) index, then tagged once
    again = shipyard("release", "--changed", "--no-test-install", "--json", "-C", str(root))
    assert again.code == 0, again.text
    recorded = json.loads(again.out)
    assert sorted(recorded["tags"]) == ["greetings-v0.1.0", "menu-v0.1.0", "recipes-v0.1.0"]
    assert _uploads(recorded) == [f for f in _uploads(recorded) if f.startswith("greetings")]
    env = {"SHIPYARD_PACKAGE": "menu"}
    assert shipyard("release", "--no-record", "-C", str(root), env=env).code == 3
    bad = shipyard("release", "--package", "nope", "-C", str(root))
    assert bad.code == 2 and "--package nope: no such module" in bad.err
    push = shipyard("release", "--no-record", "--push", "-C", str(root))
    assert push.code == 2 and "--no-record" in push.err


def test_changed_dists_takes_each_package_from_its_folder_and_refuses_a_gap_first(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = example_repo(tmp_path)
    built = shipyard("release", "--changed", "--dry-run", "--no-test-install", "-C", str(root))
    assert built.code == 0, built.text
    handed = tmp_path / "handed"
    shutil.copytree(root / "dist", handed)
    shutil.rmtree(root / "dist")
    args = ("release", "--changed", "--no-record", "--no-test-install", "-C", str(root))
    gap = tmp_path / "gap"
    shutil.copytree(handed, gap)
    shutil.rmtree(gap / "menu")
    refused = shipyard(*args, "--dists", str(gap))
    assert refused.code == 2, refused.text
    assert refused.err.strip() == f"error: --dists {gap} has no menu/ folder: menu 0.1.0 was not built there"
    assert not (root / ".shipyard" / "index").exists() or not any(
        (root / ".shipyard" / "index").rglob("*.whl")
    )
    swapped = tmp_path / "swapped"
    shutil.copytree(handed, swapped)
    shutil.rmtree(swapped / "greetings")
    shutil.copytree(handed / "menu", swapped / "greetings")
    wrong = shipyard(*args, "--dists", str(swapped))
    assert wrong.code == 2 and "holds menu 0.1.0, but this release is greetings 0.1.0" in wrong.err
    done = shipyard(*args, "--dists", str(handed), "--json")
    assert done.code == 0, done.text
    assert not (root / "dist").exists(), "release --changed --dists built again"
    published = {f["filename"]: f["sha256"] for p in json.loads(done.out)["packages"] for f in p["dists"]}
    assert published == {k: v for k, v in _sha256s(handed).items() if k.endswith((".whl", ".tar.gz"))}
