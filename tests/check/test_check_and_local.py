"""check on real builds, and the local file index: released into, installed from with an isolated pip."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.indexes import client_env
from tests.helpers.projects import ShipyardCLI, git, make_project

pytestmark = pytest.mark.integration


def last_error(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_check_refuses_a_dotenv_inside_the_sdist(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    (root / ".gitignore").write_text("dist/\n")  # forgot .env
    (root / ".env").write_text("SHIPYARD_PYPI_TOKEN=pypi-oops\n")
    assert shipyard("build", str(root)).code == 0
    run = shipyard("check", "-C", str(root))
    assert run.code == 1
    assert last_error(run.err) == (
        "error: tiny_pkg-1.0.0.tar.gz contains a .env file (credentials): .env: remove it from the build "
        "(.gitignore, or the backend's excludes), build again and rotate what it held; if it is a false alarm, "
        "list it in allow-files"
    )


def test_check_refuses_a_local_version_for_a_public_index(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", version="1.0.0+corp.1", with_tests=False)
    assert shipyard("build", str(root)).code == 0
    assert shipyard("check", "-C", str(root), "--to", "local").code == 0
    run = shipyard("check", "-C", str(root), "--to", "pypi")
    assert run.code == 1
    assert "local version '1.0.0+corp.1' (+corp.1) cannot go to a public index" in run.err
    assert "and 1 more problem" in run.err, "the wheel has the same problem, and is counted"


def test_check_refuses_a_readme_that_does_not_render(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('readme = "README.md"', 'readme = "README.rst"'))
    (root / "README.rst").write_text("Title\n=====\n\n.. unknown-directive:: x\n\n`broken link <\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "rst")
    assert shipyard("build", str(root)).code == 0
    run = shipyard("check", "-C", str(root))
    assert run.code == 1
    assert "the README does not render" in run.err


def test_release_to_local_index_installs_with_isolated_pip(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    run = shipyard("release", "-C", str(root))
    assert run.code == 0, run.text
    assert run.out.strip().splitlines()[-2] == "released tiny-pkg 1.0.0 to local"
    index = root / ".shipyard" / "index" / "simple"
    page = json.loads((index / "tiny-pkg" / "index.json").read_text())
    assert page["meta"] == {"api-version": "1.1"}
    assert {f["filename"] for f in page["files"]} == {
        "tiny_pkg-1.0.0.tar.gz",
        "tiny_pkg-1.0.0-py3-none-any.whl",
    }
    assert all(f["requires-python"] == ">=3.9" for f in page["files"])
    target = tmp_path / "target"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--isolated", "install", "--quiet", "--no-cache-dir", "--target", str(target),
         "--index-url", index.as_uri(), "tiny-pkg==1.0.0"],
        env=client_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    assert (target / "tiny_pkg" / "__init__.py").exists()


def test_yanked_release_fails_verification_with_the_reason(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    assert shipyard("release", "--no-test-install", "-C", str(root)).code == 0
    page_path = root / ".shipyard" / "index" / "simple" / "tiny-pkg" / "index.json"
    page = json.loads(page_path.read_text())
    for entry in page["files"]:
        entry["yanked"] = "broken: use 1.0.1"
    page_path.write_text(json.dumps(page))
    run = shipyard("verify", "--on", "local", "-C", str(root))
    assert run.code == 1
    assert last_error(run.err) == "error: tiny_pkg-1.0.0.tar.gz is yanked on local: broken: use 1.0.1"


def test_commands_without_a_build_say_what_to_do(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    for command in ("check", "test-install", "publish", "verify"):
        run = shipyard(command, "-C", str(root))
        assert run.code == 2, (command, run.text)
        assert run.err == f"error: no build found in {root / 'dist'}: run `shipyard build` first\n"
    run = shipyard("publish", "-C", str(root), str(root / "README.md"))
    assert (run.code, run.err) == (
        2,
        f"error: {root / 'README.md'} is not a wheel (.whl) or an sdist (.tar.gz)\n",
    )


def test_build_dry_run_leaves_dist_alone(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    run = shipyard("build", "--dry-run", "--json", str(root))
    assert run.code == 0, run.text
    assert [d["filename"] for d in json.loads(run.out)["dists"]] == [
        "tiny_pkg-1.0.0.tar.gz", "tiny_pkg-1.0.0-py3-none-any.whl",
    ]  # fmt: skip
    assert not (root / "dist").exists()


def test_broken_build_is_one_line_with_the_backend_reason(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('readme = "README.md"', 'readme = "MISSING.md"'))
    run = shipyard("build", str(root))
    assert run.code == 1
    assert run.err.startswith("error: building the sdist failed: ")
    assert "MISSING.md" in run.err and run.err.count("\n") == 1
    assert not (root / "dist").exists()


def _built_with_test(shipyard: ShipyardCLI, tmp_path: Path, name: str, text: str) -> Path:
    """The small project with one more test file, built."""
    root = make_project(tmp_path / "proj")
    (root / "tests" / name).write_text(text)
    assert shipyard("build", str(root)).code == 0
    return root


def test_test_install_runs_the_tests_against_the_installed_wheel(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    where = "import tiny_pkg\n\n\ndef test_imported_from_the_venv():\n    assert 'site-packages' in tiny_pkg.__file__\n"
    root = _built_with_test(shipyard, tmp_path, "test_where.py", where)
    run = shipyard("test-install", "--json", "-C", str(root))
    assert run.code == 0, run.text
    assert json.loads(run.out)["tests"] == "passed"
    (root / "tests" / "test_where.py").write_text("def test_fails():\n    assert 1 == 2\n")
    run = shipyard("test-install", "-C", str(root))
    assert run.code == 1
    assert last_error(run.err).startswith("error: the tests fail against the installed wheel: ")
    assert "1 failed" in run.err


def test_a_test_install_starts_with_pytest_compiled_by_the_one_before(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    # passes only where pytest's code came from a .pyc that was there before the import
    compiled = (
        "import os\nimport _pytest.main\n\n\n"
        "def test_pytest_was_compiled():\n    assert os.path.exists(_pytest.main.__cached__)\n"
    )
    root = _built_with_test(shipyard, tmp_path, "test_compiled.py", compiled)
    env = {"SHIPYARD_CACHE_DIR": str(tmp_path / "cache")}
    writing = env | {"PYTHONDONTWRITEBYTECODE": ""}  # empty: Python writes bytecode
    assert shipyard("test-install", "-C", str(root), env=writing).code == 0  # Python writes, shipyard keeps
    kept = list((tmp_path / "cache" / "bytecode").glob("cpython-*/*.pyc"))
    assert len(kept) > 20, kept  # pytest, pluggy, iniconfig...
    ours = hashlib.sha256((root / "src" / "tiny_pkg" / "__init__.py").read_bytes()).hexdigest()
    assert not any(p.stem == ours for p in kept)  # never the package under test
    read_only = env | {"PYTHONDONTWRITEBYTECODE": "1"}  # nothing is written during the run itself
    run = shipyard("test-install", "-C", str(root), env=read_only)
    assert run.code == 0, run.text
    empty = read_only | {"SHIPYARD_CACHE_DIR": str(tmp_path / "another-cache")}
    assert shipyard("test-install", "-C", str(root), env=empty).code == 1  # the test can fail
