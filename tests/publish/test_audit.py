"""The audit log: one JSON line per publish, appended atomically; `shipyard audit` shows it."""

from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.publish.audit import AuditLog, ci_run, public_url
from tests.helpers.faultproxy import behind, fault_proxy, upstream_port
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml
from tests.helpers.releases import creds, staging_project

GITHUB = {
    "GITHUB_RUN_ID": "4242",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/tiny-pkg",
    "GITHUB_RUN_ATTEMPT": "2",
}


def records(root: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (root / ".shipyard" / "audit.jsonl").read_text().splitlines()]


@pytest.mark.integration
def test_every_publish_is_recorded_and_shown(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, production=fresh_devpi_index
    )
    root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
    env = {**creds(staging=fresh_pypiserver, production=fresh_devpi_index), **GITHUB}
    first = shipyard(
        "release", "--json", "--no-test-install", "--no-verify-install", "-C", str(root), env=env
    )
    assert first.code == 0, first.text
    again = shipyard("release", "--no-test-install", "--no-verify-install", "-C", str(root), env=env)
    assert again.code == 0, again.text
    built = {d["filename"]: d["sha256"] for d in json.loads(first.out)["dists"]}
    log = records(root)
    assert [(r["repository"]["name"], r["complete"]) for r in log] == [  # type: ignore[index]
        ("staging", True), ("production", True), ("staging", True), ("production", True),
    ]  # fmt: skip
    first_staging = log[0]
    assert first_staging["package"] == "tiny-pkg" and first_staging["version"] == "1.0.0"
    assert first_staging["files"] == [
        {"filename": f, "sha256": h, "action": "uploaded"} for f, h in built.items()
    ]
    assert [f["action"] for f in log[2]["files"]] == ["skipped", "skipped"]  # type: ignore[attr-defined]
    assert first_staging["repository"] == {"name": "staging", "url": fresh_pypiserver.upload_url}
    assert first_staging["ci"] == {
        "system": "github",
        "run_id": "4242",
        "url": "https://github.com/acme/tiny-pkg/actions/runs/4242",
        "attempt": "2",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(first_staging["time"]))
    assert first_staging["shipyard"] == "0.1.0"
    text = (root / ".shipyard" / "audit.jsonl").read_text()
    assert fresh_pypiserver.password not in text and fresh_devpi_index.password not in text

    table = shipyard("audit", "-C", str(root))
    assert table.code == 0, table.text
    lines = table.out.splitlines()
    assert lines[0].split() == ["time", "(UTC)", "package", "version", "repository", "files", "ci", "run"]
    assert len(lines) == 2 + 4
    assert re.search(
        r"tiny-pkg\s+1\.0\.0\s+staging\s+2 uploaded\s+github https://github\.com/acme/", lines[2]
    )
    assert "2 skipped" in lines[4]
    only = json.loads(shipyard("audit", "--json", "--repository", "production", "-C", str(root)).out)
    assert [r["repository"]["name"] for r in only["records"]] == ["production", "production"]
    assert only["records"] == [log[1], log[3]]
    other = shipyard("audit", "--package", "something-else", "-C", str(root))
    assert other.out.startswith("no publish recorded in") and "that matches" in other.out


@pytest.mark.integration
def test_a_publish_that_fails_half_way_is_recorded_as_incomplete(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    with fault_proxy(upstream_port(fresh_pypiserver.upload_url)) as proxy:
        proxy.faults.add("status", times=100, method="POST", status=503, skip=1)
        root, env = staging_project(tmp_path, behind(fresh_pypiserver, proxy))
        assert shipyard("build", str(root)).code == 0
        run = shipyard("publish", "--retries", "1", "-C", str(root), env=env)
    assert run.code == 1, run.text
    (record,) = records(root)
    assert record["complete"] is False
    assert [(f["filename"], f["action"]) for f in record["files"]] == [  # type: ignore[attr-defined]
        ("tiny_pkg-1.0.0.tar.gz", "uploaded")
    ]
    assert "HTTP 503" in str(record["error"])
    assert record["ci"] is None
    shown = shipyard("audit", "-C", str(root))
    assert "1 uploaded; FAILED: uploading tiny_pkg-1.0.0-py3-none-any.whl" in shown.out


@pytest.mark.integration
def test_a_packaging_repository_keeps_its_audit_log_at_the_root(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    assert shipyard("init", "--packaging-repo", str(root)).code == 0
    assert shipyard("new", "word_count", "--description", "Count words.", "-C", str(root)).code == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[word_count] first")
    run = shipyard("release", "--no-verify-install", "-C", str(root), env={"CI_PIPELINE_ID": "77",
                   "CI_JOB_URL": "https://gitlab.example/acme/repo/-/jobs/9"})  # fmt: skip
    assert run.code == 0, run.text
    (record,) = records(root)
    assert (record["package"], record["version"], record["repository"]["name"]) == (  # type: ignore[index]
        "word-count", "0.1.0", "local",
    )  # fmt: skip
    assert record["ci"] == {
        "system": "gitlab",
        "run_id": "77",
        "url": "https://gitlab.example/acme/repo/-/jobs/9",
    }
    assert not list(root.glob("*/.shipyard/audit.jsonl")), "one log, at the root"


def test_unreadable_lines_are_skipped_with_a_warning(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / ".shipyard" / "audit.jsonl")
    repo = Repository("corp", "https://corp.example/upload/", "https://corp.example/simple/")
    log.published(
        repo, "a-pkg", "1.0", [{"filename": "a_pkg-1.0.tar.gz", "sha256": "0" * 64, "action": "uploaded"}]
    )
    with log.path.open("a") as f:
        f.write("{not json\n")
    log.published(repo, "b-pkg", "2.0", [])
    run = shipyard("audit", "--json", "-C", str(tmp_path))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert [r["package"] for r in doc["records"]] == ["a-pkg", "b-pkg"]
    assert doc["warnings"] == ["audit.jsonl line 2: not a JSON record, skipped"]
    none = shipyard("audit", "-C", str(tmp_path / "elsewhere"))
    assert none.code == 0 and none.out.startswith("no publish recorded in")


def _append_many(path: str, writer: int) -> None:
    log = AuditLog(Path(path))
    repo = Repository("corp", "https://corp.example/upload/", "https://corp.example/simple/")
    files: list[dict[str, object]] = [
        {"filename": f"pkg_{writer}-{i}.whl", "sha256": f"{writer:064x}", "action": "uploaded"}
        for i in range(100)
    ]  # a line of ~9 KB: more than PIPE_BUF, so atomicity comes from O_APPEND + one write, not luck
    for n in range(150):
        log.published(repo, f"pkg-{writer}", f"1.{n}", files)


def test_concurrent_appends_never_tear_a_line(tmp_path: Path) -> None:
    path = tmp_path / ".shipyard" / "audit.jsonl"
    path.parent.mkdir()
    procs = [
        multiprocessing.get_context("spawn").Process(target=_append_many, args=(str(path), w))
        for w in range(6)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 6 * 150
    parsed = [json.loads(line) for line in lines]
    for writer in range(6):
        mine = [r["version"] for r in parsed if r["package"] == f"pkg-{writer}"]
        assert mine == [f"1.{n}" for n in range(150)], "each writer's lines whole and in its order"


def test_ci_runs_are_recognised() -> None:
    assert ci_run({}) is None
    azure = {
        "BUILD_BUILDID": "12",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
        "SYSTEM_TEAMPROJECT": "tools",
    }
    assert ci_run(azure) == {
        "system": "azure",
        "run_id": "12",
        "url": "https://dev.azure.com/acme/tools/_build/results?buildId=12",
    }
    travis = {"TRAVIS_BUILD_ID": "5", "TRAVIS_BUILD_WEB_URL": "https://app.travis-ci.com/acme/x/builds/5"}
    assert ci_run(travis) == {
        "system": "travis",
        "run_id": "5",
        "url": "https://app.travis-ci.com/acme/x/builds/5",
    }
    assert public_url("https://user:secret@host.example/x/") == "https://host.example/x/"
