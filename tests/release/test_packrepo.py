"""Packaging repositories end to end: the bundled example assembled, released to a real index,
installed in a fresh isolated venv, its CLI run, its data read, its router served by FastAPI."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from shipyard.tools.tomlread import tomllib
from tests.helpers.indexes import TestIndex, http_session, pip_install_from
from tests.helpers.packrepo import example_repo, free_port, run_json
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import creds


def served(cwd: Path, command: list[str]) -> Any:
    """Start a server command on a free 127.0.0.1 port, GET /recipes/ from it, stop it."""
    port = free_port()
    proc = subprocess.Popen(
        [*command, "--port", str(port)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        http = http_session()
        until = time.monotonic() + 120  # wall clock: uvicorn took over 10 s to start on a busy 2-core box
        while time.monotonic() < until:
            try:
                return http.get(f"http://127.0.0.1:{port}/recipes/", timeout=2).json()
            except requests.ConnectionError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read() if proc.stdout else b"") from None
                time.sleep(0.1)
        raise AssertionError("the server did not answer")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_assemble_writes_a_clean_package_tree(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    doc = run_json(shipyard, "assemble", "menu", "--build", "-C", str(root))
    tree = root / "build" / "menu"
    assert doc["requirements"] == ["recipes>=0.1.0"] and doc["components"] == ["formatting"]
    assert doc["depends_on"] == ["recipes"]
    assert sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file()) == [
        "LICENSE",
        "README.md",
        "menu/__init__.py",
        "menu/components/__init__.py",
        "menu/components/formatting.py",
        "menu/menu.py",
        "pyproject.toml",
        "tests/test_menu.py",
    ]
    assert "from menu.components.formatting import bullet_list" in (tree / "menu" / "menu.py").read_text()
    wheel = next(Path(d["path"]) for d in doc["dists"] if d["kind"] == "wheel")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("tests/", ".git", "build/")) or n.endswith("setup.py")]
    assert "menu/components/formatting.py" in names
    # the same tree builds to the same bytes: releases are recognised on re-runs
    again = run_json(shipyard, "assemble", "menu", "--build", "-C", str(root))
    assert [d["sha256"] for d in again["dists"]] == [d["sha256"] for d in doc["dists"]]


def test_plan_changed_and_dependency_order(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    doc = run_json(shipyard, "plan", "-C", str(root))
    assert [p["name"] for p in doc["packages"]] == ["greetings", "recipes", "menu"]
    for name in ("greetings", "recipes", "menu"):
        git(root, "tag", "-a", f"{name}-v0.1.0", "-m", name)
    assert run_json(shipyard, "plan", "-C", str(root))["packages"] == []
    # a component change releases the packages that import it; a data file change its package
    with (root / "modules" / "components" / "formatting.py").open("a") as f:
        f.write("\n\ndef numbered(items: list[str]) -> str:\n    return '\\n'.join(items)\n")
    git(root, "commit", "-qam", "[menu][.+.] numbered lists")
    (root / "data" / "recipes" / "soup.json").write_text('{"ingredients": ["water"], "steps": ["boil"]}\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[recipes] soup; more soup")
    doc = run_json(shipyard, "plan", "-C", str(root))
    planned = {p["name"]: p for p in doc["packages"]}
    assert [p["name"] for p in doc["packages"]] == ["recipes", "menu"]
    assert planned["menu"]["next_version"] == "0.2.0"
    assert planned["recipes"]["next_version"] == "0.1.1"
    assert planned["recipes"]["plan"]["notes"] == {"Changed": ["soup", "more soup"]}
    assert planned["recipes"]["changed_files"] == ["data/recipes/soup.json"]


@pytest.mark.integration
def test_release_changed_to_a_real_index_then_install_and_use(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = example_repo(tmp_path, '"staging"', staging=fresh_pypiserver)
    env = creds(staging=fresh_pypiserver)
    doc = run_json(shipyard, "release", "-C", str(root), env=env)
    assert [(p["name"], p["version"], p["verified"]) for p in doc["packages"]] == [
        ("greetings", "0.1.0", True),
        ("recipes", "0.1.0", True),
        ("menu", "0.1.0", True),
    ]
    assert sorted(doc["tags"]) == ["greetings-v0.1.0", "menu-v0.1.0", "recipes-v0.1.0"]
    assert git(root, "status", "--porcelain") == ""
    readme = (root / "README.md").read_text()
    row = "| recipes | 0.1.0 | Recipes shipped as package data, readable with importlib.resources. |"
    assert f"{row} [staging]({fresh_pypiserver.simple_url}recipes/) |" in readme
    assert "## [0.1.0] - " in (root / "docs" / "recipes" / "CHANGELOG.md").read_text()
    # from the index alone, into a fresh venv: the CLI runs, the data is there, the router serves
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip_install_from(py, fresh_pypiserver.simple_url, "--no-deps", "greetings", "recipes", "menu")
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "fastapi", "httpx", "uvicorn"], check=True)
    greet = subprocess.run(
        [str(venv / "bin" / "greet"), "Ada", "--language", "fr"], capture_output=True, text=True
    )
    assert greet.stdout == "Bonjour, Ada!\n"
    code = (
        "from fastapi import FastAPI; from fastapi.testclient import TestClient\n"
        "from recipes.routes import router; import menu, recipes\n"
        "app = FastAPI(); app.include_router(router); client = TestClient(app)\n"
        "assert client.get('/recipes/').json() == ['pancakes', 'salad']\n"
        "assert client.get('/recipes/salad').json()['steps'] == ['wash', 'cut', 'toss']\n"
        "assert client.get('/recipes/nope').status_code == 404\n"
        "print(menu.menu())\n"
    )
    used = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert used.returncode == 0, used.stderr
    assert used.stdout == "Today:\n- pancakes\n- salad\n"
    # the package's own server entry point serves the same routes
    assert served(tmp_path, [str(venv / "bin" / "recipes-api")]) == ["pancakes", "salad"]
    # nothing changed: nothing to release, and exit 3 says so
    again = shipyard("release", "-C", str(root), env=env)
    assert again.code == 3 and "no package changed since its last tag" in again.err


@pytest.mark.integration
def test_failed_package_records_only_what_verified(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    (root / "tests" / "menu" / "test_menu.py").write_text("def test_broken() -> None:\n    assert False\n")
    git(root, "commit", "-qam", "break the menu's tests")
    run = shipyard("release", "-C", str(root))
    assert run.code == 1, run.text
    assert "the tests fail against the installed wheel" in run.err
    assert sorted(git(root, "tag", "--list").split()) == ["greetings-v0.1.0", "recipes-v0.1.0"]
    assert git(root, "status", "--porcelain") == ""
    assert not (root / "docs" / "menu" / "CHANGELOG.md").exists()


def test_bad_module_is_one_line_error_and_nothing_written(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    (root / "modules" / "broken.py").write_text('"""Broken."""\n\ndef f(:\n    pass\n')
    (root / "modules" / "nodoc.py").write_text("import requests\n")
    (root / "modules" / "unknown.py").write_text(
        '"""Unknown import."""\n\nimport surely_not_a_real_package_xyz\n'
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "bad modules")
    for name, message in (
        ("broken", "modules/broken.py:3: does not parse"),
        ("nodoc", "modules/nodoc.py:1: no description"),
        (
            "unknown",
            "modules/unknown.py:3: cannot tell which distribution provides 'surely_not_a_real_package_xyz'",
        ),
    ):
        run = shipyard("assemble", name, "--version", "1.0.0", "-C", str(root))
        assert run.code == 2, run.text
        assert message in run.err and len(run.err.strip().splitlines()) == 1, run.err
        assert not (root / "build" / name).exists()


def test_paa_layout_builds_without_moving_files(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = tmp_path / "paa"
    (root / "python_modules" / "components").mkdir(parents=True)
    (root / "cli").mkdir()
    (root / "artifacts" / "word_tools").mkdir(parents=True)
    (root / ".paa.config").write_text(
        "module_dir: python_modules\ncli_dir: cli\nartifacts_dir: artifacts\nexample_notebooks_path: ./example_notebooks/\n"
    )
    (root / "python_modules" / "components" / "text_utils.py").write_text(
        "def upper(s):\n    return s.upper()\n"
    )
    (root / "python_modules" / "word_tools.py").write_text(
        '"""Tools for words."""\n\n'
        "import os\n"
        "from python_modules.components.text_utils import upper  #-\n"
        "from components.text_utils import upper as shout\n"
        "import requests #>=2.20\n"
        "try:\n    import rich\nexcept ImportError:\n    rich = None\n\n"
        '__package_metadata__ = {"author": "Kim", "keywords": ["words"], "version": "0.3.0"}\n\n'
        "def loud(word):\n    return shout(word) + os.sep\n"
    )
    (root / "cli" / "word_tools.py").write_text(
        '__cli_metadata__ = {"name": "words"}\n\nimport click\n\n@click.command()\ndef cli():\n    print("words")\n'
    )
    (root / "artifacts" / "word_tools" / "list.txt").write_text("a\nb\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[word_tools] first")
    doc = run_json(shipyard, "plan", "-C", str(root))
    assert [(p["name"], p["next_version"]) for p in doc["packages"]] == [("word-tools", "0.3.0")]
    doc = run_json(shipyard, "assemble", "word_tools", "-C", str(root))
    assert doc["requirements"] == ["click", "requests>=2.20"]
    assert doc["extras"] == {"rich": ["rich"]}
    assert doc["scripts"] == {"words": "word_tools.cli:cli"}
    tree = root / "build" / "word_tools"
    # paa-built code reads its data as files(pkg) / "artifacts"
    assert (tree / "word_tools" / "artifacts" / "list.txt").read_text() == "a\nb\n"
    project = tomllib.loads((tree / "pyproject.toml").read_text())["project"]
    assert (project["authors"], project["keywords"]) == ([{"name": "Kim"}], ["words"])


def test_init_new_then_release_and_status(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    made = run_json(shipyard, "init", "--packaging-repo", str(root))["made"]
    assert {"shipyard.toml", "README.md", ".gitignore", "modules/", "tests/"} <= set(made)
    assert run_json(shipyard, "init", "--packaging-repo", str(root))["made"] == []  # nothing overwritten
    assert run_json(shipyard, "new", "word_count", "--description", "Count words.", "-C", str(root))[
        "made"
    ] == [
        "modules/word_count.py",
        "tests/word_count/test_word_count.py",
    ]
    again = shipyard("new", "word_count", "-C", str(root))
    assert again.code == 2 and again.err == "error: modules/word_count.py exists already\n"
    bad = shipyard("new", "Word Count", "-C", str(root))
    assert bad.code == 2 and "is no module name" in bad.err
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[word_count] first")
    before = run_json(shipyard, "status", "-C", str(root))["packages"]
    assert [(p["name"], p["next_version"], p["indexes"]) for p in before] == [
        ("word-count", "0.1.0", {"local": []})
    ]
    assert run_json(shipyard, "release", "-C", str(root))["tags"] == ["word-count-v0.1.0"]
    after = run_json(shipyard, "status", "-C", str(root))["packages"]
    assert [(p["last_tag"], p["next_version"], p["indexes"]) for p in after] == [
        ("word-count-v0.1.0", None, {"local": ["0.1.0"]})
    ]
    assert [p["highest"] for p in before] == [{"local": None}] and [p["highest"] for p in after] == [
        {"local": "0.1.0"}
    ]
    assert "local: 0.1.0 (highest 0.1.0)" in shipyard("status", "-C", str(root)).out
    assert "| word-count | 0.1.0 | Count words. |" in (root / "README.md").read_text()


def test_status_outside_a_packaging_repo(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    run = shipyard("status", "-C", str(tmp_path))
    assert run.code == 2 and "is no packaging repository" in run.err and "init --packaging-repo" in run.err


def test_run_api_serves_the_routes_from_source(tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    command = [sys.executable, "-m", "shipyard", "run-api", "recipes", "-C", str(root)]
    assert served(tmp_path, command) == ["pancakes", "salad"]


def test_folder_module_and_folder_component_release(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """modules/NAME/ is the package itself; a component folder is vendored whole; both import
    themselves absolutely, and the installed wheel's tests prove the rewritten imports work."""
    root = tmp_path / "folders"
    run_json(shipyard, "init", "--packaging-repo", str(root))
    (root / "modules" / "toolkit").mkdir()
    (root / "modules" / "toolkit" / "__init__.py").write_text(
        '"""A toolkit in a folder."""\n\nfrom toolkit.measure import double_area\n'
    )
    (root / "modules" / "toolkit" / "measure.py").write_text(
        "from components.shapes import area\n\n\ndef double_area(w: int, h: int) -> int:\n"
        "    return 2 * area(w, h)\n"
    )
    (root / "modules" / "components" / "shapes").mkdir()
    (root / "modules" / "components" / "shapes" / "__init__.py").write_text("from shapes.core import area\n")
    (root / "modules" / "components" / "shapes" / "core.py").write_text(
        "def area(w: int, h: int) -> int:\n    return w * h\n"
    )
    (root / "tests" / "toolkit").mkdir()
    (root / "tests" / "toolkit" / "test_toolkit.py").write_text(
        "import toolkit\n\n\ndef test_double_area() -> None:\n"
        "    assert toolkit.double_area(2, 3) == 12\n    assert toolkit.__version__ == '0.1.0'\n"
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[toolkit] a folder module")
    doc = run_json(shipyard, "release", "-C", str(root))
    [package] = doc["packages"]
    assert package["verified"] and package["test_install"]["tests"] == "passed"
    tree = root / "build" / "toolkit" / "toolkit"
    assert "from toolkit.components.shapes import area" in (tree / "measure.py").read_text()
    assert (tree / "components" / "shapes" / "core.py").is_file()
