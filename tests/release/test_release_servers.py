"""End-to-end releases against real servers: pypiserver as staging, devpi-server as production."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml, set_version
from tests.helpers.releases import actions, creds, release_json, staging_project

pytestmark = pytest.mark.integration


@pytest.fixture
def staged(
    tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex
) -> tuple[Path, dict[str, str]]:
    tool = '[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, production=fresh_devpi_index
    )
    root = make_project(tmp_path / "proj", tool=tool)
    return root, creds(staging=fresh_pypiserver, production=fresh_devpi_index)


def test_release_to_two_stages_then_rerun_uploads_nothing(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_pypiserver: TestIndex,
    fresh_devpi_index: TestIndex,
) -> None:  # fmt: skip
    root, env = staged
    first = release_json(shipyard, root, env)
    assert actions(first) == {"staging": ["uploaded", "uploaded"], "production": ["uploaded", "uploaded"]}
    built = {d["filename"]: d["sha256"] for d in first["dists"]}  # type: ignore[attr-defined]
    assert fresh_pypiserver.served_files("tiny-pkg") == built
    assert fresh_devpi_index.served_files("tiny-pkg") == built
    assert first["test_install"] == {"wheel": "tiny_pkg-1.0.0-py3-none-any.whl", "imported": ["tiny_pkg"],
                                     "tests": "passed", "pytest_config": None, "test_paths": ["tests"],
                                     "not_found": None, "left_out": [],
                                     "test_requirements": {"from": "nowhere (pytest alone)", "requirements": [],
                                                           "extras": [], "files": [], "lock": None,
                                                           "pins": []}}  # fmt: skip

    again = release_json(shipyard, root, env)
    assert actions(again) == {"staging": ["skipped", "skipped"], "production": ["skipped", "skipped"]}
    assert all(s["resumed"] for s in again["stages"])  # type: ignore[attr-defined]
    assert {d["filename"]: d["sha256"] for d in again["dists"]} == built  # type: ignore[attr-defined]
    assert fresh_pypiserver.served_files("tiny-pkg") == built


def test_changed_file_without_a_new_version_is_refused(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_pypiserver: TestIndex
) -> None:
    root, env = staged
    release_json(shipyard, root, env, "--no-test-install", "--no-verify-install")
    before = fresh_pypiserver.served_files("tiny-pkg")
    init = root / "src" / "tiny_pkg" / "__init__.py"
    init.write_text(init.read_text() + "\nCHANGED = True\n")
    git(root, "commit", "-qam", "change the code, not the version")
    run = shipyard("release", "--no-test-install", "-C", str(root), env=env)
    assert run.code == 2, run.text
    line = run.err.strip().splitlines()[-1]
    assert line.startswith("error: staging already has tiny_pkg-1.0.0")
    assert "bump the version" in line and before["tiny_pkg-1.0.0.tar.gz"] in line
    assert fresh_pypiserver.served_files("tiny-pkg") == before


def test_a_known_conflict_stops_the_release_before_its_tests_run(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_pypiserver: TestIndex
) -> None:
    """Issue 22, point 8: every stage is read before the test-install, so a name the index holds
    with other bytes is said then, not after the project's test suite ran."""
    root, env = staged
    release_json(shipyard, root, env, "--no-test-install", "--no-verify-install")
    before = fresh_pypiserver.served_files("tiny-pkg")
    init = root / "src" / "tiny_pkg" / "__init__.py"
    init.write_text(init.read_text() + "\nCHANGED = True\n")
    git(root, "commit", "-qam", "change the code, not the version")
    run = shipyard("release", "-C", str(root), env=env)
    assert run.code == 2, run.text
    assert run.err.strip().splitlines()[-1].startswith("error: staging already has tiny_pkg-1.0.0")
    assert "test-installing" not in run.out and "tests pass" not in run.out, run.out
    assert fresh_pypiserver.served_files("tiny-pkg") == before


def test_staging_failure_keeps_production_untouched_and_rerun_resumes(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_devpi_index: TestIndex
) -> None:
    root, env = staged
    bad = {**env, "SHIPYARD_STAGING_PASSWORD": "not-the-password"}
    run = shipyard("release", "--no-test-install", "-C", str(root), env=bad)
    assert run.code == 1, run.text
    assert "staging rejected the credential for user shipyard" in run.err
    assert "not-the-password" not in run.text
    assert fresh_devpi_index.served_files("tiny-pkg") == {}
    doc = release_json(shipyard, root, env, "--no-test-install")
    assert actions(doc)["production"] == ["uploaded", "uploaded"]


def test_file_replaced_on_the_server_fails_verification(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    release_json(shipyard, root, env, "--no-test-install", "--no-verify-install")
    fresh_pypiserver.replace_file("tiny_pkg-1.0.0-py3-none-any.whl", b"not the wheel we built")
    run = shipyard("verify", "--on", "staging", "--no-install", "-C", str(root), env=env)
    assert run.code == 1, run.text
    assert "staging serves tiny_pkg-1.0.0-py3-none-any.whl with sha256" in run.err
    assert "but we built" in run.err


def test_old_wheel_in_dist_is_never_uploaded(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver, version="0.9.0")
    assert shipyard("build", str(root), env=env).code == 0
    set_version(root, "0.9.0", "1.0.0")
    assert sorted(p.name for p in (root / "dist").glob("*.whl")) == ["tiny_pkg-0.9.0-py3-none-any.whl"]
    release_json(shipyard, root, env, "--no-test-install", "--no-verify-install")
    assert (root / "dist" / "tiny_pkg-0.9.0-py3-none-any.whl").exists()
    assert sorted(fresh_pypiserver.served_files("tiny-pkg")) == [
        "tiny_pkg-1.0.0-py3-none-any.whl", "tiny_pkg-1.0.0.tar.gz",
    ]  # fmt: skip


def test_unreachable_index_uploads_nothing(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    dead = TestIndex("dead", "http://127.0.0.1:9/", "http://127.0.0.1:9/simple/", "u", "p", tmp_path)
    root, env = staging_project(tmp_path, dead)
    run = shipyard("release", "--no-test-install", "-C", str(root), env=env)
    assert run.code == 1, run.text
    assert re.fullmatch(
        r"error: cannot read http://127\.0\.0\.1:9/simple/tiny-pkg/: connection failed \(is the index running "
        r"and the URL right\?\) \(5 attempts in [\d.]+ s\); not uploading blind \(pass --allow-unverified to "
        r"upload anyway\); re-run shipyard release to resume at stage staging",
        run.err.strip().splitlines()[-1],
    )


def test_missing_credential_is_reported_before_building(shipyard: ShipyardCLI, tmp_path: Path,
                                                        fresh_pypiserver: TestIndex) -> None:  # fmt: skip
    root, _ = staging_project(tmp_path, fresh_pypiserver)
    run = shipyard("release", "-C", str(root))
    assert run.code == 2
    assert (
        run.err.startswith(
            "error: no credential for repository 'staging': set SHIPYARD_STAGING_TOKEN (or SHIPYARD_STAGING_USERNAME "
            "and SHIPYARD_STAGING_PASSWORD) in the environment or in .env; looked at: "
        )
        and run.err.count("\n") == 1
    ), run.err
    assert not (root / "dist").exists()


def test_separate_commands_build_check_publish_verify(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_devpi_index: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["production"]\n\n' + repositories_toml(production=fresh_devpi_index)
    root = make_project(tmp_path / "proj", tool=tool)
    env = creds(production=fresh_devpi_index)
    for args in (["build"], ["check"], ["test-install"], ["publish", "--to", "production"], ["verify"]):
        run = shipyard(*args, "-C", str(root), env=env)
        assert run.code == 0, (args, run.text)
    publish_again = shipyard("publish", "--json", "-C", str(root), env=env)
    doc = json.loads(publish_again.out)
    assert [f["action"] for f in doc["files"]] == ["skipped", "skipped"]
    steps = [(d["step"], d.get("stage")) for d in doc["durations"]]
    assert steps == [("prepare", None), ("check", None), ("publish", "production")]


def test_verify_an_earlier_version_from_the_index_alone(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    release_json(shipyard, root, env, "--no-test-install", "--no-verify-install")
    set_version(root, "1.0.0", "1.1.0")
    assert shipyard("build", str(root)).code == 0
    run = shipyard("verify", "--on", "staging", "--version", "1.0.0", "--json", "-C", str(root), env=env)
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["version"] == "1.0.0" and doc["installed"] is True
    assert [(d["step"], d.get("stage")) for d in doc["durations"]] == [
        ("prepare", None),
        ("verify", "staging"),
    ]
    assert doc["files"] == fresh_pypiserver.served_files("tiny-pkg")
    missing = shipyard(
        "verify", "--on", "staging", "--version", "9.9", "--timeout", "0", "-C", str(root), env=env
    )
    assert missing.code == 1
    assert missing.err == "error: staging has no file of tiny-pkg 9.9 (waited 0 s)\n"


def test_release_warns_when_its_state_folder_is_not_ignored(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    (root / ".gitignore").write_text("dist/\n")
    git(root, "commit", "-qam", "ignore less")
    run = shipyard("release", "--no-test-install", "-C", str(root))
    assert run.code == 0, run.text
    assert "warning: add .shipyard/ to .gitignore" in run.err
