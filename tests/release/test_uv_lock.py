"""`release --bump` of a project with a `uv.lock` on a fresh runner (issue 23, point 4): the release
commit's lock records the new version with uv's cache empty and uv forbidden the network. The
project's own `[[package]]` entry is edited (every other byte kept) and `uv lock --locked --offline`
confirms the lock is then up to date; only a lock out of date beyond the version is resolved again.
Real material: mcp 1.0.0's sdist from PyPI, which ships its uv.lock (a workspace of four members,
the root's entry still saying 1.0.0.dev0, as the authors left it)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from uv import find_uv_bin

from shipyard.builder import uvlock
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import (
    ShipyardCLI,
    commit,
    git,
    make_project,
    snapshot,
    staged,
    tag,
)
from tests.helpers.realsdists import RealSdist

IGNORED = "dist/\n.shipyard/\nbuild/\n*.egg-info/\n__pycache__/\n"


def fresh_runner(tmp_path: Path, name: str = "uv-cache") -> dict[str, str]:
    """uv as a new CI machine has it: an empty cache, and (UV_OFFLINE) no network for uv at all."""
    cache = tmp_path / name
    cache.mkdir()
    return {"UV_CACHE_DIR": str(cache), "UV_OFFLINE": "1"}


def uv_locked(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [find_uv_bin(), "lock", "--locked", "--offline", "--quiet"]
    ours = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    return subprocess.run(cmd, cwd=root, env={**ours, **env}, capture_output=True, text=True, check=False)


@pytest.mark.integration
def test_a_real_uv_locked_workspace_is_bumped_on_a_fresh_runner(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tree = real_sdist("mcp==1.0.0", tmp_path / "download")
    (tree / "PKG-INFO").unlink()  # a repository has none; hatchling would reuse the sdist's
    lock_before = (tree / "uv.lock").read_text()
    assert 'name = "mcp"\nversion = "1.0.0.dev0"\nsource = { editable = "." }' in lock_before
    assert '"mcp-simple-prompt",' in lock_before  # a workspace: the members' entries stay as they are
    env = staged(tree, fresh_pypiserver)
    (tree / ".gitignore").write_text(IGNORED)
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "chore: mcp 1.0.0")
    tag(tree, "v1.0.0")
    (tree / "src/mcp/extra.py").write_text('"""Something new."""\n')
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "feat: something new")
    # the build environment (hatchling) is made once, as a runner's restored shipyard cache has it
    warm = shipyard("build", "-C", str(tree), "--out", str(tmp_path / "warm"))
    assert warm.code == 0, warm.text
    runner = fresh_runner(tmp_path)

    # the dependencies of mcp (pydantic...) are not installed: uv has no network here
    run = shipyard(
        "release",
        "--bump",
        "--json",
        "--no-test-install",
        "--no-verify-install",
        "-C",
        str(tree),
        env={**env, **runner},
    )
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["version"] == "1.1.0" and "uv.lock" in doc["target"]["files"]
    assert sorted(fresh_pypiserver.served_files("mcp")) == ["mcp-1.1.0-py3-none-any.whl", "mcp-1.1.0.tar.gz"]
    assert git(tree, "show", "--name-only", "--format=", "HEAD").split() == [
        "CHANGELOG.md",
        "pyproject.toml",
        "uv.lock",
    ]
    # the one line a version bump changes in the lock, and nothing else
    assert (tree / "uv.lock").read_text() == lock_before.replace(
        'name = "mcp"\nversion = "1.0.0.dev0"', 'name = "mcp"\nversion = "1.1.0"'
    )
    assert git(tree, "status", "--porcelain") == ""
    # uv agrees the committed lock is up to date, still with no cache and no network
    assert uv_locked(tree, fresh_runner(tmp_path, "again")).returncode == 0


def _locked_then_changed(tmp_path: Path, edit: tuple[str, str], message: str) -> Path:
    """A project at 1.2.0 with its uv.lock, then pyproject.toml changed by `edit` and the lock not
    updated, tagged v1.2.0, and a fix after the tag."""
    root = make_project(tmp_path / "proj", version="1.2.0", tool='[tool.shipyard]\nstages = ["local"]\n')
    subprocess.run([find_uv_bin(), "lock", "--offline", "--quiet"], cwd=root, check=True)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(*edit))
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    tag(root, "v1.2.0")
    commit(root, "fix: a fix")
    return root


def test_a_lock_out_of_date_beyond_the_version_is_resolved_again(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = _locked_then_changed(
        tmp_path,
        ('requires-python = ">=3.9"', 'requires-python = ">=3.10"'),
        "chore: python 3.10 and up (the lock not updated)",
    )
    # the build environment (hatchling) is made once, as a runner's restored shipyard cache has it:
    # without it the build, not the lock, would need uv's network
    warm = shipyard("build", "-C", str(root), "--out", str(tmp_path / "warm"))
    assert warm.code == 0, warm.text

    run = shipyard("release", "--bump", "--no-test-install", "-C", str(root), env=fresh_runner(tmp_path))
    assert run.code == 0, run.text
    assert "uv.lock was out of date beyond the version: resolved again with `uv lock`" in run.out
    lock = (root / "uv.lock").read_text()
    assert 'requires-python = ">=3.10"' in lock and 'name = "tiny-pkg"\nversion = "1.2.1"' in lock
    assert "uv.lock" in git(root, "show", "--name-only", "--format=", "HEAD").split()


def test_a_lock_that_cannot_be_resolved_stops_the_release_before_anything(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = _locked_then_changed(
        tmp_path,
        ('version = "1.2.0"', 'version = "1.2.0"\ndependencies = ["attrs"]'),
        "feat: depend on attrs (the lock not updated)",
    )
    before = snapshot(root)

    run = shipyard("release", "--bump", "--no-test-install", "-C", str(root), env=fresh_runner(tmp_path))
    assert run.code == 2, run.text
    (line,) = run.err.strip().splitlines()[-1:]
    assert line.startswith("error: uv.lock is out of date beyond the version and `uv lock` failed (")
    assert line.endswith("): run `uv lock`, commit the lock, and release again")
    assert "Traceback" not in run.err
    assert snapshot(root) == before and not (root / ".shipyard" / "index").exists()


def _locked_by_uv(folder: Path, pyproject: str) -> str:
    folder.mkdir()
    (folder / "pyproject.toml").write_text(pyproject)
    (folder / "src" / "dyn").mkdir(parents=True)
    (folder / "src" / "dyn" / "__init__.py").write_text('__version__ = "1.0"\n')
    subprocess.run([find_uv_bin(), "lock", "--offline", "--quiet"], cwd=folder, check=True)
    return (folder / "uv.lock").read_text()


HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


def test_uv_records_no_version_for_a_dynamic_one_and_then_the_lock_stays(tmp_path: Path) -> None:
    dynamic = (
        HATCH
        + '[project]\nname = "dyn"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "src/dyn/__init__.py"\n'
    )
    text = _locked_by_uv(tmp_path / "p", dynamic)
    assert 'name = "dyn"\nsource = { editable = "." }' in text  # uv's own record: no version
    assert uvlock.with_version(text, "dyn", "2.0") == (text, True)
    assert uvlock.refresh(tmp_path / "p", "dyn", "2.0") is None


def test_only_the_projects_own_entry_is_edited(tmp_path: Path) -> None:
    text = _locked_by_uv(tmp_path / "p", HATCH + '[project]\nname = "Dyn_Pkg"\nversion = "1.0"\n')
    edited, found = uvlock.with_version(text, "dyn-pkg", "1.1.0rc1")
    assert found and edited == text.replace(
        'name = "dyn-pkg"\nversion = "1.0"', 'name = "dyn-pkg"\nversion = "1.1.0rc1"'
    )
    # a registry package of that name is another project's entry; a lock without the entry says so
    registry = text.replace(
        'source = { editable = "." }', 'source = { registry = "https://pypi.org/simple" }'
    )
    assert uvlock.with_version(registry, "dyn-pkg", "1.1.0") == (registry, False)
    assert uvlock.with_version("not [ toml", "dyn-pkg", "1.1.0") == ("not [ toml", False)
