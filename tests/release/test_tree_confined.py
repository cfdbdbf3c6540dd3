"""Nothing outside the project's tree enters a dist (issue 21, point 2), through the CLI against a
real pypiserver: a packaging repository's link to /proc/self/environ, its data folder linked out of
the repository, `.paa.config`'s `artifacts_dir` outside it: each refused (exit 2, one `error:` line)
before anything is built, and the index serves nothing. A single project whose backend packs a file
holding the upload password: `check` refuses it, nothing is uploaded, the password is never shown."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import Run, ShipyardCLI, git, repositories_toml
from tests.helpers.releases import creds, staging_project

pytestmark = pytest.mark.integration

EXAMPLE_PACKAGES = ("greetings", "recipes", "menu")


def _committed(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def _refused(run: Run, *words: str) -> None:
    assert run.code == 2, run.text
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    assert "Traceback" not in run.text
    for word in words:
        assert word in lines[0], lines[0]


def _nothing_served(index: TestIndex, *projects: str) -> None:
    assert {p: index.served_files(p) for p in projects} == {p: {} for p in projects}


def test_link_to_proc_self_environ_is_refused_before_any_build(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = example_repo(tmp_path, '"staging"', staging=fresh_pypiserver)
    # recipes is the second package released: the first must not be published either
    (root / "data" / "recipes" / "env.json")
    (root / "data" / "recipes" / "env.json").symlink_to("/proc/self/environ")
    _committed(root, "[recipes] a link to the environment")
    env = {**creds(staging=fresh_pypiserver), "GITHUB_TOKEN": "ghp_" + "x" * 36}
    run = shipyard("release", "-C", str(root), env=env)
    _refused(run, "data/recipes/env.json", "leads outside the repository")
    assert fresh_pypiserver.password not in run.text and "ghp_" not in run.text
    _nothing_served(fresh_pypiserver, *EXAMPLE_PACKAGES)
    assert not (root / "dist").exists()


def test_data_folder_linked_outside_the_repository_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = example_repo(tmp_path, '"staging"', staging=fresh_pypiserver)
    outside = tmp_path / "home-of-the-release-machine"
    (outside / ".ssh").mkdir(parents=True)
    (outside / ".ssh" / "config").write_text("Host *\n")
    (root / "data" / "greetings")
    (root / "data" / "greetings").symlink_to(outside)
    _committed(root, "[greetings] data")
    run = shipyard("release", "-C", str(root), env=creds(staging=fresh_pypiserver))
    _refused(run, "data/greetings", "leads outside the repository")
    _nothing_served(fresh_pypiserver, *EXAMPLE_PACKAGES)
    # `assemble` alone refuses it the same way, and writes no tree
    run = shipyard("assemble", "greetings", "-C", str(root))
    _refused(run, "data/greetings")
    assert not (root / "build" / "greetings").exists()


def _paa_repo(tmp_path: Path, index: TestIndex, artifacts_dir: str) -> Path:
    """A one-module package-auto-assembler repository released to `index` as `staging`."""
    root = tmp_path / "paa"
    (root / "python_modules").mkdir(parents=True)
    (root / ".paa.config").write_text(f"module_dir: python_modules\nartifacts_dir: {artifacts_dir}\n")
    (root / "shipyard.toml").write_text(
        'stages = ["staging"]\n\n' + repositories_toml(staging=index).replace("tool.shipyard.", "")
    )
    (root / "python_modules" / "word_tools.py").write_text(
        '"""Tools for words."""\n\n__package_metadata__ = {"author": "Kim"}\n\n'
        "def loud(word):\n    return word.upper()\n"
    )
    (root / ".gitignore").write_text("build/\ndist/\n.shipyard/\n")
    git(root, "init", "-q")
    _committed(root, "[word_tools] first")
    return root


@pytest.mark.parametrize("where", ["..", "absolute"])
def test_paa_artifacts_dir_outside_the_repository_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, where: str
) -> None:
    outside = tmp_path / "elsewhere"
    # what `artifacts_dir` would make word_tools' data: tmp_path/word_tools/ for `..`
    data = tmp_path / "word_tools" if where == ".." else outside / "word_tools"
    data.mkdir(parents=True)
    (data / "id_rsa.txt").write_text("the release machine's file\n")
    given = ".." if where == ".." else str(outside)
    root = _paa_repo(tmp_path, fresh_pypiserver, given)
    run = shipyard("release", "-C", str(root), env=creds(staging=fresh_pypiserver))
    _refused(run, "artifacts_dir", f"'{given}'", "outside the repository")
    _nothing_served(fresh_pypiserver, "word-tools")


def test_single_project_packing_the_upload_password_is_refused_at_check(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    # (a link out of the tree fails hatchling's own build: its sdist keeps the link, which the
    # wheel build from that sdist refuses to unpack; a copied file goes through)
    root, env = staging_project(tmp_path, fresh_pypiserver, with_tests=False)
    config = root / "src" / "tiny_pkg" / "deploy.cfg"
    config.write_text(f"[index]\nuser = shipyard\npassword = {fresh_pypiserver.password}\n")
    _committed(root, "deploy settings")
    run = shipyard("release", "-C", str(root), "--verbose", env=env)
    assert run.code == 1, run.text
    assert "error: tiny_pkg-1.0.0.tar.gz contains a credential's value in src/tiny_pkg/deploy.cfg" in run.err
    assert "tiny_pkg-1.0.0-py3-none-any.whl contains a credential's value in tiny_pkg/deploy.cfg" in run.err
    assert fresh_pypiserver.password not in run.text
    _nothing_served(fresh_pypiserver, "tiny-pkg")


def test_wheel_holding_an_environment_dump_is_refused_by_publish(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver, with_tests=False)
    wheel = tmp_path / "elsewhere" / "tiny_pkg-1.0.0-py3-none-any.whl"
    wheel.parent.mkdir()
    dump = f"PATH=/usr/bin\0SHIPYARD_STAGING_PASSWORD={fresh_pypiserver.password}\0HOME=/root\0"
    info = "tiny_pkg-1.0.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("tiny_pkg/__init__.py", "")
        zf.writestr("tiny_pkg/environ", dump)
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: tiny-pkg\nVersion: 1.0.0\n")
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/RECORD", "")
    run = shipyard("publish", "--to", "staging", str(wheel), "-C", str(root), env=env)
    assert run.code == 1, run.text
    assert "contains a credential's value in tiny_pkg/environ" in run.err
    assert fresh_pypiserver.password not in run.text
    _nothing_served(fresh_pypiserver, "tiny-pkg")


def test_links_inside_the_repository_are_followed_and_a_fifo_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = example_repo(tmp_path)
    data = root / "data" / "recipes"
    (data / "favourite.json").symlink_to("salad.json")  # a file link and a folder link, both inside
    (data / "guide").symlink_to("../../docs/greetings")
    _committed(root, "[recipes] links inside the repository")
    run = shipyard("assemble", "recipes", "-C", str(root))
    assert run.code == 0, run.text
    packed = root / "build" / "recipes" / "recipes" / "data"
    assert (packed / "favourite.json").read_text() == (data / "salad.json").read_text()
    assert not (packed / "favourite.json").is_symlink()
    assert (packed / "guide" / "usage.md").read_text() == (root / "docs/greetings/usage.md").read_text()
    os.mkfifo(data / "pipe")
    run = shipyard("assemble", "recipes", "-C", str(root))
    _refused(run, "data/recipes/pipe", "FIFO")
