"""Versions from git, on real repositories: `plan`, `version`, and the guards of `release`.

Every refusal must leave the repository exactly as it was (HEAD, tags, status, files).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.projects import ShipyardCLI, commit, git, make_project, set_version, snapshot, tag


def plan(shipyard: ShipyardCLI, root: Path, *extra: str) -> dict[str, Any]:
    run = shipyard("plan", "--json", "-C", str(root), *extra)
    assert run.code == 0, run.text
    doc: dict[str, Any] = json.loads(run.out)["packages"][0]
    return doc


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "proj", version="1.2.0", with_tests=False)
    tag(root, "v1.2.0")
    return root


@pytest.mark.parametrize(
    ("messages", "expected", "decider"),
    [
        (["fix: a", "docs: b"], "1.2.1", "fix: a"),
        (["fix: a", "feat: b", "fix: c"], "1.3.0", "feat: b"),
        (["feat: a", "feat!: b", "fix: c"], "2.0.0", "feat!: b"),
        (["fix: a", "[tiny-pkg][.+.] notes; more"], "1.3.0", "[tiny-pkg][.+.] notes; more"),
        (["fix: a", "[tiny_pkg][1.5.0] jump"], "1.5.0", "[tiny_pkg][1.5.0] jump"),
    ],
)
def test_plan_bumps_from_commits(
    shipyard: ShipyardCLI, project: Path, messages: list[str], expected: str, decider: str
) -> None:
    for m in messages:
        commit(project, m)
    doc = plan(shipyard, project)
    assert doc["next_version"] == expected
    assert doc["tag"] == f"v{expected}"
    assert doc["last_tag"] == "v1.2.0"
    assert doc["commits_since"] == len(messages)
    assert decider in str(doc["reason"])


def test_plan_notes_and_changes(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "fix(io): crash on empty file")
    commit(project, "feat: add --loud")
    commit(project, "chore: tidy")
    doc = plan(shipyard, project)
    assert doc["notes"] == {"Added": ["add --loud"], "Fixed": ["io: crash on empty file"]}
    assert [c["kind"] for c in doc["changes"]] == ["chore", "feat", "fix"]


def test_plan_parser_is_configurable(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "feat: conventional feature")
    commit(project, "[tiny-pkg] a paa note")
    assert plan(shipyard, project)["next_version"] == "1.3.0"
    assert plan(shipyard, project, "--parser", "paa")["next_version"] == "1.2.1"
    assert plan(shipyard, project, "--parser", "conventional")["next_version"] == "1.3.0"


def test_plan_nothing_to_release(shipyard: ShipyardCLI, project: Path) -> None:
    doc = plan(shipyard, project)
    assert doc["next_version"] is None and "no commits since v1.2.0" in str(doc["reason"])
    commit(project, "docs: only docs")
    doc = plan(shipyard, project)
    assert doc["next_version"] is None and "1 commit since v1.2.0, none that triggers a release" in str(
        doc["reason"]
    )


def test_zero_x_breaking_change_bumps_minor(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "zero", version="0.4.0", with_tests=False)
    tag(root, "v0.4.0")
    commit(root, "feat!: new API")
    assert plan(shipyard, root)["next_version"] == "0.5.0"
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text() + "[tool.shipyard]\nmajor-on-zero = true\n"
    )
    git(root, "commit", "-qam", "chore: config")
    assert plan(shipyard, root)["next_version"] == "1.0.0"


def test_pre_releases_then_final(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "feat: a")
    assert plan(shipyard, project, "--pre", "rc")["next_version"] == "1.3.0rc1"
    tag(project, "v1.3.0rc1")
    commit(project, "fix: b")
    assert plan(shipyard, project, "--pre", "rc")["next_version"] == "1.3.0rc2"
    assert plan(shipyard, project)["next_version"] == "1.3.0"  # the final takes every change since 1.2.0
    commit(project, "feat!: c")
    assert plan(shipyard, project, "--pre", "rc")["next_version"] == "2.0.0rc1"


def test_first_release_is_the_declared_version(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "new", version="0.3.0", with_tests=False)
    doc = plan(shipyard, root)
    assert doc["next_version"] == "0.3.0" and doc["last_tag"] is None


def test_a_hand_set_higher_version_is_never_lowered(shipyard: ShipyardCLI, project: Path) -> None:
    set_version(project, "1.2.0", "2.0.0")  # committed as "version 2.0.0": no bump of its own
    commit(project, "fix: a")
    doc = plan(shipyard, project)
    assert doc["next_version"] == "2.0.0" and "set by hand" in doc["reason"]
    assert plan(shipyard, project, "--bump", "patch")["next_version"] == "1.2.1"  # asked for: obeyed
    set_version(project, "2.0.0", "1.1.0")  # lower than the last release: the commits decide
    assert plan(shipyard, project)["next_version"] == "1.2.1"


def test_maintenance_branch_sees_its_own_line(shipyard: ShipyardCLI, project: Path) -> None:
    git(project, "checkout", "-qb", "maint-1.2")
    git(project, "checkout", "-q", "-")
    commit(project, "feat: on main")
    tag(project, "v1.3.0")
    git(project, "checkout", "-q", "maint-1.2")
    commit(project, "fix: backport")
    assert plan(shipyard, project)["next_version"] == "1.2.1"


def test_custom_and_monorepo_tag_patterns(shipyard: ShipyardCLI, project: Path) -> None:
    tag(project, "release/1.4.0")
    tag(project, "tiny-pkg-v1.6.0")
    commit(project, "fix: a")
    assert plan(shipyard, project, "--tag-pattern", "release/{version}")["next_version"] == "1.4.1"
    doc = plan(shipyard, project, "--tag-pattern", "{package}-v{version}")
    assert (doc["next_version"], doc["tag"]) == ("1.6.1", "tiny-pkg-v1.6.1")


def test_version_sources(shipyard: ShipyardCLI, project: Path, tmp_path: Path) -> None:
    run = shipyard("version", "--json", "-C", str(project))
    doc = json.loads(run.out)
    assert (doc["version"], doc["source"], doc["last_tag"]) == (
        "1.2.0",
        "pyproject.toml [project] version",
        "v1.2.0",
    )
    assert doc["declared"]["files"] == ["pyproject.toml", "src/tiny_pkg/__init__.py"]
    hatch = make_project(tmp_path / "hatch", version="3.1.4", with_tests=False)
    text = (hatch / "pyproject.toml").read_text().replace('version = "3.1.4"', 'dynamic = ["version"]')
    (hatch / "pyproject.toml").write_text(text + '[tool.hatch.version]\npath = "src/tiny_pkg/__init__.py"\n')
    doc = json.loads(shipyard("version", "--json", "-C", str(hatch)).out)
    assert (doc["version"], doc["source"]) == ("3.1.4", "src/tiny_pkg/__init__.py (__version__)")


def test_version_of_a_backend_computed_version(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """hatch-vcs computes the version from git: shipyard asks the backend, as a build would."""
    root = make_project(tmp_path / "vcs", version="0", with_tests=False)
    text = (root / "pyproject.toml").read_text()
    text = text.replace('requires = ["hatchling"]', 'requires = ["hatchling", "hatch-vcs"]')
    text = text.replace('version = "0"', 'dynamic = ["version"]') + '[tool.hatch.version]\nsource = "vcs"\n'
    (root / "pyproject.toml").write_text(text)
    git(root, "commit", "-qam", "use hatch-vcs")
    tag(root, "v2.5.0")
    run = shipyard("version", "--json", "-C", str(root))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert (doc["version"], doc["source"]) == ("2.5.0", "dynamic, via the build backend")
    assert doc["declared"]["from_vcs"] is True


# ---------------------------------------------------------------- guards: exit 2, nothing changed


def refused(
    shipyard: ShipyardCLI, root: Path, *args: str, code: int = 2, env: dict[str, str] | None = None
) -> str:
    before = snapshot(root)
    run = shipyard("release", "-C", str(root), *args, env=env)
    assert run.code == code, run.text
    assert "Traceback" not in run.err
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    assert snapshot(root) == before
    assert not (root / ".shipyard" / "index").exists()  # nothing published
    return lines[0]


def test_dirty_tree_is_refused(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "fix: a")
    (project / "README.md").write_text("changed\n")
    (project / "new.txt").write_text("untracked\n")
    said = refused(shipyard, project, "--bump")
    assert "uncommitted changes (README.md, new.txt)" in said and "--allow-dirty" in said


def test_shallow_clone_without_tags_is_refused(shipyard: ShipyardCLI, project: Path, tmp_path: Path) -> None:
    commit(project, "fix: after the tag")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", project.as_uri(), str(clone)], check=True)
    assert "fetch the full history" in refused(shipyard, clone, "--bump")
    run = shipyard("plan", "-C", str(clone))
    assert run.code == 2 and "shallow clone" in run.err


def test_tag_on_another_commit_is_refused(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "fix: a")
    said = refused(shipyard, project, "--tag", "v1.2.0")
    assert "tag v1.2.0 exists already on commit" in said and "not on HEAD" in said
    # the bump's tag made elsewhere (another branch) is refused too
    git(project, "checkout", "-qb", "other")
    commit(project, "feat: elsewhere")
    tag(project, "v1.2.1")
    git(project, "checkout", "-q", "-")
    assert "tag v1.2.1 exists already on commit" in refused(shipyard, project, "--bump")


def test_tag_version_mismatch_under_version_source_project(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "fix: a")
    said = refused(shipyard, project, "--tag", "v1.3.0", env={"SHIPYARD_VERSION_SOURCE": "project"})
    assert "tag v1.3.0 is version 1.3.0, but pyproject.toml [project] version says 1.2.0" in said


def test_lower_version_is_refused(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "fix: a")
    assert "version 1.1.0 is lower than 1.2.0, released as v1.2.0" in refused(
        shipyard, project, "--tag", "v1.1.0"
    )
    commit(project, "[tiny-pkg][1.0.0] back to one")
    assert "is not higher than 1.2.0" in refused(shipyard, project, "--bump")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().replace("1.2.0", "1.1.9")
    )
    git(project, "commit", "-qam", "chore: lower")
    assert "version 1.1.9 is lower than 1.2.0" in refused(shipyard, project)


@pytest.mark.parametrize("bad", ["v1.x.0", "v1.2.3-beta.1.x", "v2.0.0.final"])
def test_invalid_pep440_tag_is_refused(shipyard: ShipyardCLI, project: Path, bad: str) -> None:
    assert "is not a valid PEP 440 version" in refused(shipyard, project, "--tag", bad)


def test_tag_that_does_not_fit_the_pattern(shipyard: ShipyardCLI, project: Path) -> None:
    assert "does not fit the tag pattern 'v{version}'" in refused(shipyard, project, "--tag", "release/1.3.0")


def test_if_branch_elsewhere_is_nothing_to_release(shipyard: ShipyardCLI, project: Path) -> None:
    said = refused(shipyard, project, "--if-branch", "pypi-release", code=3)
    assert "nothing to release: releases happen on branch pypi-release" in said


def test_bump_with_nothing_new_exits_3(shipyard: ShipyardCLI, project: Path) -> None:
    assert "no commits since v1.2.0" in refused(shipyard, project, "--bump", code=3)
    commit(project, "docs: words")
    assert "1 commit since v1.2.0, none that triggers a release" in refused(
        shipyard, project, "--bump", code=3
    )


def test_bad_paa_bracket_is_an_error_with_a_way_out(shipyard: ShipyardCLI, project: Path) -> None:
    commit(project, "[tiny-pkg][++] oops")
    assert "'[tiny-pkg][++]' is not a bump" in refused(shipyard, project, "--bump")
    doc = plan(shipyard, project, "--bump", "minor")
    assert doc["next_version"] == "1.3.0"


def test_project_in_a_subfolder_of_a_monorepo(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """Only the project's own commits count, and only its own uncommitted files block a release."""
    repo = tmp_path / "mono"
    tool = '[tool.shipyard]\ntag = "{package}-v{version}"\n'
    root = make_project(repo / "packages" / "tiny", version="1.0.0", with_tests=False, tool=tool)
    shutil.rmtree(root / ".git")  # one repository for the whole monorepo
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "tiny-pkg 1.0.0")
    git(root, "tag", "-a", "tiny-pkg-v1.0.0", "-m", "tiny-pkg 1.0.0")
    (root.parent / "other.txt").write_text("a sibling\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "feat: a sibling package's feature")
    commit(root, "fix: our own fix")
    doc = plan(shipyard, root)
    assert (doc["next_version"], doc["tag"], doc["commits_since"]) == ("1.0.1", "tiny-pkg-v1.0.1", 1)
    (root.parent / "other.txt").write_text("a sibling, edited and not committed\n")
    run = shipyard("release", "--bump", "--no-test-install", "--dry-run", "-C", str(root))
    assert run.code == 0, run.text
    (root / "README.md").write_text("ours, edited\n")
    assert "uncommitted changes (README.md)" in refused(shipyard, root, "--bump")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tag", "v1.3.0", "--bump"), "--tag and --bump exclude each other"),
        (("--pre", "rc"), "--pre goes with --bump"),
        (("--push",), "--push goes with --tag or --bump"),
        (("--bump", "--pre", "gamma"), "--pre gamma: use one of a, b, rc or dev"),
    ],
)
def test_flags_that_do_not_go_together(
    shipyard: ShipyardCLI, project: Path, args: tuple[str, ...], message: str
) -> None:
    commit(project, "fix: a")
    assert message in refused(shipyard, project, *args)


def test_tag_and_bump_need_a_git_repository(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    shutil.rmtree(root / ".git")
    run = shipyard("release", "--bump", "-C", str(root))
    assert run.code == 2 and "is not in a git repository with a commit" in run.err
