"""A packaging repository's packages of one dependency level released at the same time (--jobs):
one package failing mid-way while another still works. Each package's output stays together, what
verified is recorded (changelog, commit, tags; the journal finished), what was left is reported,
and the re-run releases only what is left (issue 25, point 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shipyard.record import journal
from tests.helpers.packrepo import run_json
from tests.helpers.projects import ShipyardCLI, git

pytestmark = pytest.mark.integration

NAMES = ["alpha", "beta", "gamma", "delta"]
# alpha's test runs until beta's test has failed (a file beta's test writes): both are at work at once
ALPHA_TEST = """\
import time
from pathlib import Path


def test_after_beta_failed() -> None:
    flag = Path({flag!r})
    for _ in range(1200):
        if flag.exists():
            return
        time.sleep(0.05)
"""
BETA_TEST = """\
from pathlib import Path


def test_broken() -> None:
    Path({flag!r}).write_text("")
    assert False, "beta is broken"
"""


def _repo(shipyard: ShipyardCLI, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    assert shipyard("init", "--packaging-repo", str(root)).code == 0
    for name in NAMES:
        assert shipyard("new", name, "-C", str(root)).code == 0
    flag = str(tmp_path / "beta-failed")
    (root / "tests" / "alpha" / "test_alpha.py").write_text(ALPHA_TEST.format(flag=flag))
    (root / "tests" / "beta" / "test_beta.py").write_text(BETA_TEST.format(flag=flag))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "four packages")
    return root


def _blocks(err: str) -> dict[str, list[str]]:
    """stderr's lines by the package whose heading (`NAME 0.1.0: ...`) came last before them."""
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in err.splitlines():
        head = re.match(rf"\W*({'|'.join(NAMES)}) 0\.1\.0: ", line)
        if head:
            current = head.group(1)
            assert current not in blocks, f"{current} has two headings: its output was cut\n{err}"
            blocks[current] = []
        elif current:
            blocks[current].append(line)
    return blocks


def test_one_fails_mid_level_the_others_finish_and_the_rerun_releases_the_rest(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = _repo(shipyard, tmp_path)
    run = shipyard("release", "-C", str(root), "--jobs", "2")
    assert run.code == 1, run.text
    assert "beta is broken" in run.err or "the tests fail against the installed wheel" in run.err
    said = run.out + run.err
    blocks = _blocks(run.out)
    for name, lines in blocks.items():  # what names a package's files is in its own block only
        others = [n for n in NAMES if n != name]
        assert not [line for line in lines if any(f"{o}-0.1.0" in line for o in others)], run.out
    assert {"alpha", "beta"} <= set(blocks)
    assert any("alpha-0.1.0-py3-none-any.whl" in line for line in blocks["alpha"])
    # alpha was at work when beta failed: it finished, verified, and is recorded; beta is not
    tags = set(git(root, "tag", "--list").split())
    assert "alpha-v0.1.0" in tags and "beta-v0.1.0" not in tags
    left = {n for n in ("gamma", "delta") if f"{n}-v0.1.0" not in tags}
    for name in left:  # a package not started is said to be left, never half released
        assert name not in blocks and re.search(rf"left for the re-run: .*\b{name} 0\.1\.0", said), said
        assert not (root / ".shipyard" / "index" / "simple" / name).exists()
    assert "released alpha 0.1.0" in run.err
    log = git(root, "log", "-1", "--format=%s")
    assert log.startswith("chore(release): alpha 0.1.0") and "beta" not in log
    assert (root / "docs" / "alpha" / "CHANGELOG.md").is_file()
    assert not (root / "docs" / "beta" / "CHANGELOG.md").exists()
    assert not journal.path_of(root).exists()  # the record finished
    assert git(root, "status", "--porcelain") == ""

    # beta mended: the re-run releases beta and what was left, nothing again
    (root / "tests" / "beta" / "test_beta.py").write_text("def test_mended() -> None:\n    assert True\n")
    git(root, "commit", "-qam", "[beta] mend the test")
    doc = run_json(shipyard, "release", "-C", str(root), "--jobs", "2")
    assert sorted(p["name"] for p in doc["packages"]) == sorted({"beta", *left})
    assert all(p["verified"] for p in doc["packages"]) and doc["failed"] == [] == doc["not_started"]
    # each package's own steps, timed as they ran (their output was held and shown later)
    ran = [
        ("build", None),
        ("check", None),
        ("test-install", None),
        ("publish", "local"),
        ("verify", "local"),
    ]
    for package in doc["packages"]:
        assert [(d["step"], d.get("stage")) for d in package["durations"]] == ran, package["durations"]
        assert package["durations"][2]["seconds"] > 0  # a venv made, a wheel installed, tests run
    assert [d["step"] for d in doc["durations"]] == ["prepare", "packages", "record"]
    assert set(git(root, "tag", "--list").split()) == {f"{n}-v0.1.0" for n in NAMES}


def test_jobs_1_stops_at_the_first_failure_as_before(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = _repo(shipyard, tmp_path)
    (root / "tests" / "alpha" / "test_alpha.py").write_text("def test_ok() -> None:\n    assert True\n")
    git(root, "commit", "-qam", "alpha's test waits for nothing")
    run = shipyard("release", "-C", str(root), "--jobs", "1")
    assert run.code == 1, run.text
    # one after another in plan order: alpha released, beta failed, gamma and delta never started
    assert set(git(root, "tag", "--list").split()) == {"alpha-v0.1.0"}
    left = re.search(
        r"left for the re-run: (gamma 0\.1\.0, delta 0\.1\.0|delta 0\.1\.0, gamma 0\.1\.0)", run.out
    )
    assert left, run.text
    assert list(_blocks(run.out)) == ["alpha", "beta"]
