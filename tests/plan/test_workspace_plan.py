"""`shipyard plan` and `shipyard status` at a workspace root, on real git repositories: members from
the globs, their last release from `{package}-v{version}` tags, commits attributed by path (and by
scope where a commit touches several members), pins moved, and the one-line refusals."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from packaging.version import InvalidVersion, Version

from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.workspaces import change, mixed_folder, uv_workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


def plan(shipyard: ShipyardCLI, root: Path, *extra: str) -> dict[str, Any]:
    run = shipyard("plan", "--json", "-C", str(root), *extra)
    assert run.code == 0, run.text
    doc: dict[str, Any] = json.loads(run.out)
    assert [p["name"] for p in doc["packages"]] == [p["name"] for p in doc["members"] if p["next_version"]]
    return {p["name"]: p for p in doc["members"]}


def tag_all(root: Path, *tags: str) -> None:
    for name in tags:
        git(root, "tag", "-a", name, "-m", name)


def test_uv_workspace_lists_members_in_dependency_order(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = uv_workspace(tmp_path / "ws")
    run = shipyard("plan", "-C", str(root))
    assert run.code == 0, run.text
    assert "3 members, 3 to release" in run.out
    assert "release order: alpha 1.0.0, gamma 2.1.0, beta 0.3.0" in run.out  # beta after alpha
    found = plan(shipyard, root)
    assert list(found) == ["alpha", "gamma", "beta"]  # packages/scratch is excluded
    assert found["beta"]["requires"] == [{"name": "alpha", "spec": ">=1.0,<2"}]
    assert found["alpha"]["folder"] == "packages/alpha"


def test_commits_are_attributed_by_path_and_scope(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = uv_workspace(tmp_path / "ws")
    tag_all(root, "alpha-v1.0.0", "beta-v0.3.0", "gamma-v2.1.0")
    change(root, "packages/gamma/src/gamma/__init__.py", "fix: gamma rounds")
    change(root, "README.md", "feat: a root README line releases nothing")
    # one commit touching alpha and gamma, scoped to gamma: gamma's alone
    (root / "packages" / "alpha" / "README.md").write_text("# alpha, reworded\n")
    (root / "packages" / "gamma" / "README.md").write_text("# gamma, reworded\n")
    git(root, "commit", "-qam", "feat(gamma): a feature that also touches alpha's readme")
    found = plan(shipyard, root)
    assert found["alpha"]["next_version"] is None
    assert found["alpha"]["last_version"] == "1.0.0"
    assert found["gamma"]["next_version"] == "2.2.0"
    assert [c["subject"] for c in found["gamma"]["plan"]["changes"]] == [
        "feat(gamma): a feature that also touches alpha's readme",
        "fix: gamma rounds",
    ]
    assert found["beta"]["next_version"] is None
    # the same commit unscoped counts for both
    (root / "packages" / "alpha" / "README.md").write_text("# alpha, again\n")
    (root / "packages" / "gamma" / "README.md").write_text("# gamma, again\n")
    git(root, "commit", "-qam", "fix: both readmes")
    found = plan(shipyard, root)
    assert found["alpha"]["next_version"] == "1.0.1"
    assert found["beta"]["next_version"] is None  # alpha 1.0.1 is inside beta's range


def test_a_breaking_release_bumps_the_dependent_and_moves_its_pin(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = uv_workspace(tmp_path / "ws")
    tag_all(root, "alpha-v1.0.0", "beta-v0.3.0", "gamma-v2.1.0")
    change(root, "packages/alpha/src/alpha/__init__.py", "feat!: alpha's one() is gone")
    run = shipyard("plan", "-C", str(root))
    assert run.code == 0, run.text
    assert "beta: requires alpha>=2.0.0,<3 (was alpha>=1.0,<2) for alpha 2.0.0" in run.out
    found = plan(shipyard, root)
    assert found["alpha"]["next_version"] == "2.0.0"
    assert found["beta"]["next_version"] == "0.3.1"
    assert found["beta"]["pins"] == [
        {"on": "alpha", "old": ">=1.0,<2", "new": ">=2.0.0,<3", "version": "2.0.0"}
    ]
    refused = shipyard("plan", "--refuse-pin-bumps", "-C", str(root))
    assert refused.code == 2, refused.text
    assert refused.err.strip().splitlines() == [
        "error: alpha 2.0.0 falls outside beta's requirement alpha>=1.0,<2 (packages/beta/pyproject.toml): "
        "widen it, or let release move it (drop --refuse-pin-bumps)"
    ]


def test_a_folder_of_hatch_poetry_and_setuptools_projects(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "mixed")
    found = plan(shipyard, root)
    assert list(found) == ["hatched", "wstools", "poetic"]  # poetic requires hatched
    assert found["hatched"]["version_source"] == "src/hatched/__about__.py (__version__)"
    assert found["poetic"]["version_source"] == "pyproject.toml [tool.poetry] version"
    assert found["poetic"]["requires"] == [{"name": "hatched", "spec": "^1.0"}]
    tag_all(root, "hatched-v1.2.0", "poetic-v0.5.0", "wstools-v3.0.0")
    change(root, "libs/hatched/src/hatched/__init__.py", "feat!: hatched 2")
    found = plan(shipyard, root)
    assert (found["hatched"]["next_version"], found["poetic"]["next_version"]) == ("2.0.0", "0.5.1")
    assert found["poetic"]["pins"][0]["new"] == "^2.0.0"


def test_status_lists_members_last_release_and_changes(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = uv_workspace(tmp_path / "ws")
    tag_all(root, "alpha-v1.0.0", "gamma-v2.1.0")
    change(root, "packages/alpha/src/alpha/__init__.py", "fix: alpha")
    run = shipyard("status", "-C", str(root))
    assert run.code == 0, run.text
    lines = run.out.strip().splitlines()
    assert lines[0].startswith("alpha [packages/alpha]: last release alpha-v1.0.0, 1 commit since -> 1.0.1")
    assert lines[1].startswith("gamma [packages/gamma]: last release gamma-v2.1.0, 0 commits since;")
    assert lines[2].startswith("beta [packages/beta]: not released yet -> 0.3.0")
    assert all(line.endswith("local: -") for line in lines)


def _broken(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "break the workspace")


@pytest.mark.parametrize(
    ("rel", "text", "said"),
    [
        (
            "packages/delta/pyproject.toml",
            '[project]\nname = "alpha"\nversion = "1.0.0"\n',
            "workspace members packages/alpha and packages/delta are both named alpha: give each "
            "member its own distribution name",
        ),
        (
            "packages/alpha/pyproject.toml",
            '[project]\nname = "alpha"\nversion = "1.0.0"\ndependencies = ["beta"]\n',
            "workspace members require each other in a circle: alpha -> beta -> alpha: break the circle",
        ),
        (
            "packages/gamma/pyproject.toml",
            '[project]\nname = "gamma"\ndynamic = ["version"]\n',
            "workspace member packages/gamma (gamma) has no version shipyard can read or write (the build "
            "backend (dynamic)): set [project] version, a version file, or a VCS version plugin",
        ),
        (
            "packages/gamma/pyproject.toml",
            '[project]\nname = "gamma"\nversion = "1.0.0"\n\n[tool.uv.sources]\nomega = { workspace = true }\n',
            "packages/gamma/pyproject.toml takes omega from the workspace, but no member under the "
            "workspace's globs is named so: add its folder to the members",
        ),
        (
            "packages/empty/README.md",
            "no project here\n",
            "workspace member packages/empty has no pyproject.toml: add one, or exclude the folder",
        ),
    ],
    ids=["same-name", "circle", "no-version", "outside-the-globs", "no-pyproject"],
)
def test_a_broken_workspace_is_one_line_exit_2(
    shipyard: ShipyardCLI, tmp_path: Path, rel: str, text: str, said: str
) -> None:
    root = uv_workspace(tmp_path / "ws")
    _broken(root, rel, text)
    for command in ("plan", "status", "release"):
        run = shipyard(command, "-C", str(root))
        assert run.code == 2, run.text
        assert run.err.strip().splitlines() == [f"error: {said}"], command
    assert not (root / "dist").exists() and git(root, "tag", "--list") == ""  # nothing built or tagged


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def test_the_real_livekit_agents_workspace(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """livekit/agents' uv workspace (its pyproject and version files, and its 383 tags, bundled):
    plan lists the 83 members its globs match and, for each, the last release its tags say."""
    root = tmp_path / "agents"
    root.mkdir()
    with tarfile.open(FIXTURES / "livekit-agents.tar.gz") as tar:
        tar.extractall(root, filter="data")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "livekit/agents at da6af86ac")
    tags = (FIXTURES / "livekit-agents.tags").read_text().split()
    head = git(root, "rev-parse", "HEAD").strip()
    git_stdin = "".join(f"create refs/tags/{t} {head}\n" for t in tags)
    import subprocess

    subprocess.run(["git", "update-ref", "--stdin"], cwd=root, input=git_stdin, text=True, check=True)
    found = plan(shipyard, root, "--tag", "{package}@{version}")
    assert len(found) == 83
    assert "livekit-agents" in found and "livekit-plugins-openai" in found
    expected: dict[str, Version] = {}
    for t in tags:
        name, _, text = t.rpartition("@")
        version = _version(text)
        if name in found and version is not None:
            expected[name] = max(expected.get(name, version), version)
    assert expected["livekit-agents"] == Version("1.7.0")
    assert len(expected) >= 15
    for name, member in found.items():
        last = member["last_version"]
        assert (Version(last) if last else None) == expected.get(name), name
    # agents comes before every plugin that requires it (its extras, requiring the plugins, do not count)
    order = list(found)
    assert order.index("livekit-agents") < order.index("livekit-plugins-openai")
    assert found["livekit-agents"]["version_source"] == "livekit/agents/version.py (__version__)"


def test_a_root_project_with_a_uv_workspace_stays_one_project_unless_asked(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """A project whose pyproject.toml also declares a uv workspace (of its examples, say) is released
    as before, with its own tags; [tool.shipyard.workspace] makes the root and the examples members."""
    root = tmp_path / "proj"
    (root / "examples" / "demo" / "src" / "demo").mkdir(parents=True)
    (root / "src" / "core").mkdir(parents=True)
    (root / "src" / "core" / "__init__.py").write_text("")
    (root / "examples" / "demo" / "src" / "demo" / "__init__.py").write_text("")
    (root / "examples" / "demo" / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["core"]\n\n'
        "[tool.uv.sources]\ncore = { workspace = true }\n"
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "core"\nversion = "1.0.0"\n\n[tool.uv.workspace]\nmembers = ["examples/*"]\n'
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a project and its example")
    tag_all(root, "v1.0.0")
    run = shipyard("plan", "-C", str(root))
    assert run.code == 0, run.text
    assert run.out.startswith("core: last release v1.0.0")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        text + '\n[tool.shipyard]\ntag = "{package}-v{version}"\n\n[tool.shipyard.workspace]\n'
    )
    git(root, "commit", "-qam", "chore: release the example too")
    found = plan(shipyard, root)
    assert list(found) == ["core", "demo"]
    assert (found["core"]["folder"], found["demo"]["folder"]) == (".", "examples/demo")
    assert found["demo"]["requires"] == [{"name": "core", "spec": ""}]
