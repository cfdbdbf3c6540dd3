"""`shipyard release` at a workspace root, against a real pypiserver: only the changed members, in
dependency order, each built from its folder, test-installed with the members it requires from this
same release's wheels, published and verified; one release commit, a tag and a CHANGELOG section per
member, uv.lock in step; a dependent bumped when its range breaks; a re-run uploads nothing."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from uv import find_uv_bin

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import creds, uploads
from tests.helpers.workspaces import change, mixed_folder, uv_workspace

pytestmark = pytest.mark.integration

FAST = ("--no-verify-install",)


def release(shipyard: ShipyardCLI, root: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    run = shipyard("release", "--json", *FAST, *extra, "-C", str(root), env=env)
    assert run.code == 0, run.text
    doc: dict[str, Any] = json.loads(run.out)
    return doc


def released(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["version"]) for p in doc["packages"]]


def requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Requires-Dist: ")]


def lock_is_current(root: Path) -> None:
    subprocess.run([find_uv_bin(), "lock", "--check", "--offline", "--quiet"], cwd=root, check=True)


def test_uv_workspace_releases_changed_members_in_order(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    index, env = fresh_pypiserver, creds(staging=fresh_pypiserver)
    root = uv_workspace(tmp_path / "ws", index)
    # the first release: every member, beta after alpha, beta's tests run against alpha's new wheel
    doc = release(shipyard, root, env)
    assert released(doc) == [("alpha", "1.0.0"), ("gamma", "2.1.0"), ("beta", "0.3.0")]
    beta = doc["packages"][2]
    assert beta["test_install"]["tests"] == "passed"
    # each member's own steps, on a clock of its own; the run's: planning, the members, the record
    ran = ["build", "check", "test-install", "publish", "verify"]
    assert all([d["step"] for d in p["durations"]] == ran for p in doc["packages"]), doc["packages"]
    assert [d["step"] for d in doc["durations"]] == ["prepare", "members", "record"]
    assert sorted(doc["tags"]) == ["alpha-v1.0.0", "beta-v0.3.0", "gamma-v2.1.0"]
    head = git(root, "rev-parse", "HEAD").strip()
    assert doc["commit"] == head
    assert (
        git(root, "log", "-1", "--format=%s").strip()
        == "chore(release): alpha 1.0.0, gamma 2.1.0, beta 0.3.0"
    )
    for name, version in released(doc):
        assert git(root, "rev-parse", f"{name}-v{version}^{{commit}}").strip() == head
        assert f"## [{version}]" in (root / "packages" / name / "CHANGELOG.md").read_text()
        assert sorted(index.served_files(name)) == sorted(
            [f"{name}-{version}.tar.gz", f"{name}-{version}-py3-none-any.whl"]
        )
    assert git(root, "status", "--porcelain") == ""
    first = uploads(root)
    assert len(first) == 6

    # a README-only commit, and a re-run: nothing to release, nothing uploaded
    change(root, "README.md", "docs: the workspace's readme")
    for _ in range(2):
        again = shipyard("release", *FAST, "-C", str(root), env=env)
        assert again.code == 3, again.text
        assert again.err.strip().splitlines() == [
            "error: nothing to release: no member changed in a way that calls for a release"
        ]
    assert uploads(root) == first

    # gamma alone
    change(root, "packages/gamma/src/gamma/__init__.py", "fix: gamma's three is exact")
    doc = release(shipyard, root, env)
    assert released(doc) == [("gamma", "2.1.1")]
    assert doc["tags"] == ["gamma-v2.1.1"]
    changelog = (root / "packages" / "gamma" / "CHANGELOG.md").read_text()
    assert "- gamma's three is exact" in changelog
    assert "gamma's three" not in (root / "packages" / "alpha" / "CHANGELOG.md").read_text()

    # a breaking alpha leaves beta's range (>=1.0,<2): beta is bumped and its requirement moved
    change(root, "packages/alpha/src/alpha/__init__.py", "feat!: alpha two")
    doc = release(shipyard, root, env)
    assert released(doc) == [("alpha", "2.0.0"), ("beta", "0.3.1")]
    assert doc["packages"][1]["pins"] == ["requires alpha>=2.0.0,<3 (was alpha>=1.0,<2) for alpha 2.0.0"]
    pyproject = (root / "packages" / "beta" / "pyproject.toml").read_text()
    assert 'dependencies = ["alpha>=2.0.0,<3"]' in pyproject and 'version = "0.3.1"' in pyproject
    wheel = root / "dist" / "beta" / "beta-0.3.1-py3-none-any.whl"
    assert requires_dist(wheel) == ["alpha<3,>=2.0.0"]
    assert "requires alpha>=2.0.0,<3" in (root / "packages" / "beta" / "CHANGELOG.md").read_text()
    lock = (root / "uv.lock").read_text()
    assert 'name = "alpha"\nversion = "2.0.0"' in lock and 'name = "beta"\nversion = "0.3.1"' in lock
    lock_is_current(root)
    assert git(root, "status", "--porcelain") == ""
    assert len(uploads(root)) == 6 + 2 + 4


def test_package_restricts_to_a_member_and_what_it_requires(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    env = creds(staging=fresh_pypiserver)
    root = uv_workspace(tmp_path / "ws", fresh_pypiserver)
    doc = release(shipyard, root, env, "--package", "beta", "--no-test-install")
    assert released(doc) == [("alpha", "1.0.0"), ("beta", "0.3.0")]
    assert sorted(doc["tags"]) == ["alpha-v1.0.0", "beta-v0.3.0"]
    assert fresh_pypiserver.served_files("gamma") == {}
    unknown = shipyard("release", "--package", "omega", "-C", str(root), env=env)
    assert unknown.code == 2, unknown.text
    assert unknown.err.strip().splitlines() == [
        "error: --package omega: no such member in the workspace (members: alpha, gamma, beta)"
    ]


def test_hatch_poetry_and_setuptools_members(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    index, env = fresh_pypiserver, creds(staging=fresh_pypiserver)
    root = mixed_folder(tmp_path / "mixed", index)
    doc = release(shipyard, root, env)
    assert released(doc) == [("hatched", "1.2.0"), ("wstools", "3.0.0"), ("poetic", "0.5.0")]
    assert doc["packages"][2]["test_install"]["tests"] == "passed"  # with hatched's new wheel
    assert sorted(index.served_files("poetic")) == ["poetic-0.5.0-py3-none-any.whl", "poetic-0.5.0.tar.gz"]
    change(root, "libs/hatched/src/hatched/__init__.py", "feat!: hatched two")
    change(root, "libs/tools/src/wstools/__init__.py", "chore: tidy, no release")
    doc = release(shipyard, root, env)
    assert released(doc) == [("hatched", "2.0.0"), ("poetic", "0.5.1")]
    about = (root / "libs" / "hatched" / "src" / "hatched" / "__about__.py").read_text()
    assert about == '__version__ = "2.0.0"\n'
    poetic = (root / "libs" / "poetic" / "pyproject.toml").read_text()
    assert 'version = "0.5.1"' in poetic and 'hatched = "^2.0.0"' in poetic
    assert sorted(doc["tags"]) == ["hatched-v2.0.0", "poetic-v0.5.1"]
    again = shipyard("release", "-C", str(root), env=env)
    assert again.code == 3, again.text


def test_a_level_of_members_is_released_at_once_each_ones_output_together(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    """alpha and gamma require no member (one level, released at once with --jobs 2), beta alpha:
    each member's lines come together under its heading, never mixed with another's."""
    root = uv_workspace(tmp_path / "ws", fresh_pypiserver)
    run = shipyard("release", *FAST, "--jobs", "2", "-C", str(root), env=creds(staging=fresh_pypiserver))
    assert run.code == 0, run.text
    lines = run.out.splitlines()
    members = {"alpha": "1.0.0", "gamma": "2.1.0", "beta": "0.3.0"}
    heads = {
        n: next(i for i, ln in enumerate(lines) if ln.startswith(f"==> {n} {v}: "))
        for n, v in members.items()
    }
    assert heads["beta"] > max(heads["alpha"], heads["gamma"])  # beta's level comes after alpha's
    starts = sorted(heads.values())
    for name, version in members.items():
        end = next((s for s in starts if s > heads[name]), len(lines))
        mine = [i for i, ln in enumerate(lines) if f"{name}-{version}" in ln and "tagged" not in ln]
        assert mine and all(heads[name] < i < end for i in mine), (name, run.out)
