"""What plan says when there is no tag and no declared version, and when commits trigger nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.projects import ShipyardCLI, git, make_project


def plan_of(shipyard: ShipyardCLI, root: Path) -> dict[str, object]:
    run = shipyard("plan", "--json", "-C", str(root))
    assert run.code == 0, run.text
    [package] = json.loads(run.out)["packages"]
    assert isinstance(package, dict)
    return package


def test_an_untagged_dynamic_version_says_what_each_release_does(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text().replace('version = "1.0.0"', 'dynamic = ["version"]')
    pyproject.write_text(
        text.replace('requires = ["hatchling"]', 'requires = ["hatchling", "hatch-vcs"]')
        + '\n[tool.hatch.version]\nsource = "vcs"\n'
    )
    git(root, "commit", "-qam", "versions from git")
    package = plan_of(shipyard, root)
    assert package["declared_version"] is None and package["next_version"] == "0.1.0"
    assert package["reason"] == (
        "first release: no tag yet and no version declared (it is dynamic): release --bump releases 0.1.0, "
        "a plain release the version the build backend computes"
    )
    text_out = shipyard("plan", "-C", str(root)).out
    assert "the version the project declares" not in text_out


def test_commits_that_trigger_nothing_are_counted(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    git(root, "tag", "v1.0.0")
    assert plan_of(shipyard, root)["reason"] == "no commits since v1.0.0"
    for name in ("a", "b"):
        (root / name).write_text(name)
        git(root, "add", name)
        git(root, "commit", "-qm", f"chore: {name}")
    run = shipyard("plan", "-C", str(root))
    assert run.out.splitlines()[1] == (
        "  nothing to release: 2 commits since v1.0.0, none that triggers a release "
        "(a fix, a feature or a breaking change)"
    )
