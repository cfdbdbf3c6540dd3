"""Two shipyard runs at once: in two clones against the same real indexes (both end with exit 0 and
one copy of each file), and in one working tree (the lock: the second waits, or fails naming the
holder)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shipyard.tools.lock import Busy, hold
from tests.helpers.faultproxy import RACES
from tests.helpers.indexes import TestIndex, client_env
from tests.helpers.projects import Run, ShipyardCLI, git, make_project, repositories_toml, set_version
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration
ROUNDS = 5
FAST = ("--no-test-install", "--no-verify-install")


def _files(doc: dict[str, object], stage: str) -> dict[str, str]:
    stages = doc["stages"]
    assert isinstance(stages, list)
    entry = next(s for s in stages if s["repository"] == stage)
    return {f["filename"]: f["action"] for f in entry["files"]}


def test_two_releases_of_the_same_version_at_once(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, production=fresh_devpi_index
    )
    origin = make_project(tmp_path / "origin", version="1.0.0", tool=tool, with_tests=False)
    env = creds(staging=fresh_pypiserver, production=fresh_devpi_index)
    outcomes: dict[str, int] = {}
    wrong = 0  # files missing, served with other bytes, or stored twice
    for n in range(ROUNDS):
        version = f"1.0.{n + 1}"
        set_version(origin, f"1.0.{n}", version)
        clones = [tmp_path / f"round{n}-{side}" for side in "ab"]
        for clone in clones:
            git(tmp_path, "clone", "-q", str(origin), str(clone))
        with ThreadPoolExecutor(2) as pool:
            runs = list(
                pool.map(lambda c: shipyard("release", "--json", *FAST, "-C", str(c), env=env), clones)
            )
        for run in runs:
            assert run.code == 0, run.text
        docs = [json.loads(r.out) for r in runs]
        built = [{d["filename"]: d["sha256"] for d in doc["dists"]} for doc in docs]
        assert built[0] == built[1], "both clones built the same bytes"
        this = re.compile(rf"tiny_pkg-{re.escape(version)}[-.]")
        for index in (fresh_pypiserver, fresh_devpi_index):
            served = {f: h for f, h in index.served_files("tiny-pkg").items() if this.match(f)}
            wrong += sum(served.get(f) != h for f, h in built[0].items()) + len(set(served) - set(built[0]))
        stored = sorted(p.name for p in fresh_pypiserver.root.iterdir() if this.match(p.name))
        wrong += stored != sorted(built[0])  # one copy of each file on disk, no stray
        for stage in ("staging", "production"):
            for filename in built[0]:
                said = "+".join(sorted(_files(doc, stage)[filename] for doc in docs))
                outcomes[f"{stage}: {said}"] = outcomes.get(f"{stage}: {said}", 0) + 1
        for doc, run in zip(docs, runs, strict=True):  # one that found the other's file says so plainly
            if "landed" in json.dumps(doc["stages"]):
                assert "another upload published it first" in run.out
    counted = ", ".join(f"{k} x{v}" for k, v in sorted(outcomes.items()))
    RACES.append(
        f"race: {ROUNDS} rounds x 2 releases at once (pypiserver then devpi): all exit 0; "
        f"files lost or overwritten: {wrong}; per file: {counted}"
    )
    assert wrong == 0


def _popen(args: list[str], home: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {
        k: v for k, v in client_env().items() if not k.startswith("SHIPYARD_") or k == "SHIPYARD_CACHE_DIR"
    }
    full.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", **env)
    return subprocess.Popen(
        [sys.executable, "-m", "shipyard", *args],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> Run:
    out, err = proc.communicate(timeout=300)
    return Run(proc.returncode, out, err)


def test_a_second_run_in_the_same_tree_fails_naming_the_holder(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    with hold(root, "release", timeout=0):
        run = shipyard("release", *FAST, "-C", str(root), env={"SHIPYARD_LOCK_TIMEOUT": "0.3"})
        build = shipyard("build", str(root), env={"SHIPYARD_LOCK_TIMEOUT": "0"})
    assert run.code == 2, run.text
    assert run.err == (
        f"error: shipyard release (pid {os.getpid()}) is working in {root}: "
        "wait for it to finish, or pass --wait to queue behind it\n"
    )
    assert build.code == 2 and f"(pid {os.getpid()})" in build.err
    assert not (root / "dist").exists(), "nothing was built"
    assert not (root / ".git" / "shipyard.lock").exists()


def test_a_worktree_twin_waits_for_the_release_in_the_main_tree(
    shipyard: ShipyardCLI, tmp_path: Path, home: Path
) -> None:
    """Tags are shared by linked worktrees: one lock for the repository, so a release in the twin
    waits (naming the tree the holder works in), and then takes the other run's tag as its own."""
    root = make_project(tmp_path / "proj", with_tests=False)
    twin = tmp_path / "twin"
    git(root, "worktree", "add", "-q", "--detach", str(twin))
    with hold(root, "release", timeout=0):
        busy = shipyard("release", *FAST, "--tag", "-C", str(twin), env={"SHIPYARD_LOCK_TIMEOUT": "0.3"})
    assert busy.code == 2, busy.text
    assert busy.err == (
        f"error: shipyard release (pid {os.getpid()}) is working in {root.resolve()}: "
        "wait for it to finish, or pass --wait to queue behind it\n"
    )
    procs = [
        _popen(["release", *FAST, "--tag", "--wait", "-C", str(tree)], home, {}) for tree in (root, twin)
    ]
    runs = [_finish(p) for p in procs]
    assert [r.code for r in runs] == [0, 0], [r.text for r in runs]
    assert git(root, "tag", "--list") == "v1.0.0\n"


def test_wait_queues_behind_the_holder(tmp_path: Path, home: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    waiting = f"waiting for shipyard release (pid {os.getpid()}) to finish in {root}"
    with hold(root, "release", timeout=0):
        proc = _popen(["release", *FAST, "--wait", "-C", str(root)], home, {"PYTHONUNBUFFERED": "1"})
        assert proc.stdout is not None
        said = ""  # the lock is released only once the run says it waits for it, however long it took
        while waiting not in said and (line := proc.stdout.readline()):
            said += line
        assert waiting in said, said
        assert proc.poll() is None, "still waiting"
    run = _finish(proc)
    assert run.code == 0, run.text
    assert run.out.strip().splitlines()[-2] == "released tiny-pkg 1.0.0 to local"


def test_two_runs_in_one_tree_do_not_interleave(tmp_path: Path, home: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    procs = [_popen(["release", "--json", *FAST, "--wait", "-C", str(root)], home, {}) for _ in range(2)]
    runs = [_finish(p) for p in procs]
    assert [r.code for r in runs] == [0, 0], [r.text for r in runs]
    acts = sorted(tuple(sorted(_files(json.loads(r.out), "local").values())) for r in runs)
    assert acts == [("skipped", "skipped"), ("uploaded", "uploaded")], "the second found the first's files"
    RACES.append(
        "lock: 2 releases at once in one working tree (--wait): one uploaded, the other skipped both"
    )
    assert not (root / ".git" / "shipyard.lock").exists()


def test_a_failed_run_leaves_no_lock_and_no_state_folder(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    tool = '[tool.shipyard]\nstages = ["corp"]\n\n[tool.shipyard.repositories.corp]\nupload-url = "http://127.0.0.1:9/"\nsimple-url = "http://127.0.0.1:9/simple/"\n'
    root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
    run = shipyard("release", "-C", str(root))
    assert run.code == 2 and "no credential for repository 'corp'" in run.err
    assert not (root / ".shipyard").exists()


def test_outside_git_the_lock_is_in_the_state_folder_and_leaves_nothing(tmp_path: Path) -> None:
    with hold(tmp_path, "build", timeout=0):
        # who holds it, and the tree it works in (a worktree twin's message names that tree)
        assert (tmp_path / ".shipyard" / "lock").read_text() == f"{os.getpid()} build\n{tmp_path.resolve()}\n"
        busy = rf"shipyard build \(pid {os.getpid()}\) is working in"
        with pytest.raises(Busy, match=busy), hold(tmp_path, "release", timeout=0):
            pass
    assert list(tmp_path.iterdir()) == []
