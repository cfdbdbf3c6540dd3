"""A package-auto-assembler repository taken as it is (tests/helpers/paa_repo.py): planned from
paa's tags and tracking file, assembled with paa's conventions, released to a real index, and its
wheels installed in fresh isolated venvs and used."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shipyard.tools.tomlread import tomllib
from tests.helpers import paa_repo
from tests.helpers.indexes import TestIndex, pip_install_from
from tests.helpers.projects import ShipyardCLI, git, repositories_toml

NEXT = {  # after touch_every_package: patch bumps, mock_store's [.+.], attr_kit from the tracking file
    "attr-kit": "0.2.2",
    "compare-frame": "0.0.12",
    "grid-runner": "0.0.4",
    "mock-store": "0.4.0",
    "package-kit": "1.0.6",
    "param-frame": "0.1.7",
    "prompt-kit": "0.0.3",
    "shout-log": "0.3.2",
}


@pytest.fixture(scope="session")
def paa_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return paa_repo.write_repo(tmp_path_factory.mktemp("paa-template") / "reusables")


@pytest.fixture
def paa_root(paa_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "reusables"
    shutil.copytree(paa_template, root, symlinks=True)
    return root


def run_json(shipyard: ShipyardCLI, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    run = shipyard(*args, "--json", env=env)
    assert run.code == 0, run.text
    doc: dict[str, Any] = json.loads(run.out)
    return doc


def canonical(requirements: list[str]) -> list[str]:
    found = []
    for text in requirements:
        req = Requirement(text)
        found.append(f"{canonicalize_name(req.name)}{req.specifier}")
    return sorted(found)


def test_plan_reads_paa_tags_and_tracking_file(shipyard: ShipyardCLI, paa_root: Path) -> None:
    doc = run_json(shipyard, "plan", "-C", str(paa_root))
    assert doc["packages"] == []  # every package is released: no 0.1.0 for anything
    assert sorted(doc["skipped"]) == ["drive-support", "retriever-tuner", "search-extractor"]
    assert all("__package_metadata__" in why for why in doc["skipped"].values())
    text = shipyard("plan", "-C", str(paa_root)).out
    assert "skipped retriever-tuner: no __package_metadata__" in text
    paa_repo.touch_every_package(paa_root)
    doc = run_json(shipyard, "plan", "-C", str(paa_root))
    planned = {p["name"]: p for p in doc["packages"]}
    assert {n: p["next_version"] for n, p in planned.items()} == NEXT
    assert planned["mock-store"]["last_tag"] == "v0.3.0_mock_store"
    assert planned["mock-store"]["plan"]["tag"] == "v0.4.0_mock_store"
    assert planned["grid-runner"]["last_tag"] == "v0.0.3_grid_runner"
    assert planned["attr-kit"]["last_tag"] is None  # 0.2.1 was never tagged
    assert planned["attr-kit"]["last_version"] == "0.2.1"
    assert planned["attr-kit"]["last_recorded_in"] == ".paa/tracking/lsts_package_versions.yml"
    assert planned["attr-kit"]["plan"]["notes"] == {"Changed": ["next"]}
    # dependencies first: grid_runner before mock_store before compare_frame
    order = [p["name"] for p in doc["packages"]]
    assert order.index("grid-runner") < order.index("mock-store") < order.index("compare-frame")


def test_a_component_change_triggers_exactly_its_package(shipyard: ShipyardCLI, paa_root: Path) -> None:
    search = paa_root / "python_modules" / "components" / "mock_store_deps" / "search.py"
    search.write_text(search.read_text() + "\n\ndef bottom_k(scores, k):\n    return sorted(scores)[:k]\n")
    git(paa_root, "commit", "-qam", "[mock_store] bottom_k")
    doc = run_json(shipyard, "plan", "-C", str(paa_root))
    [package] = doc["packages"]
    assert (package["name"], package["next_version"]) == ("mock-store", "0.3.1")
    assert package["changed_files"] == ["python_modules/components/mock_store_deps/search.py"]
    strategies = paa_root / "python_modules" / "components" / "prompt_kit" / "strategies.py"
    strategies.write_text(strategies.read_text() + "\nFAST = 'fast'\n")
    git(paa_root, "commit", "-qam", "faster prompts")
    assert [p["name"] for p in run_json(shipyard, "plan", "-C", str(paa_root))["packages"]] == [
        "mock-store",
        "prompt-kit",
    ]


def test_assemble_everything_with_paa_conventions(shipyard: ShipyardCLI, paa_root: Path) -> None:
    doc = run_json(shipyard, "assemble", "-C", str(paa_root))
    built = {p["name"]: p for p in doc["packages"]}
    assert sorted(built) == sorted(NEXT)
    for name, expected in paa_repo.PAA_REQUIREMENTS.items():
        ours = canonical(built[name.replace("_", "-")]["requirements"])
        theirs = [r for r in canonical(expected) if not (name == "package_kit" and r == "mcp")]
        assert ours == theirs, name
    assert built["prompt-kit"]["extras"] == {"rich": ["rich"]}
    assert built["mock-store"]["components"] == ["mock_store_deps"]
    assert built["mock-store"]["scripts"]["mockstore"] == "mock_store.cli:cli"
    tree = paa_root / "build" / "mock_store"
    assert (tree / "mock_store" / "artifacts" / "settings" / "store.json").is_file()
    assert (tree / "mock_store" / "components" / "mock_store_deps" / "connector.py").is_file()
    assert "from .mock_store import *" in (tree / "mock_store" / "__init__.py").read_text()
    test = (tree / "tests" / "test_mock_store.py").read_text()
    assert "from mock_store.mock_store import MockStore" in test
    assert "from mock_store.components.mock_store_deps.connector import StoreConnector" in test
    assert (tree / "README.md").read_text().startswith("# Mock store")  # from the example notebook
    project = tomllib.loads((tree / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["urls"] == {
        "Homepage": "https://example.invalid/docs/",
        "Documentation": "https://example.invalid/docs",
    }
    assert "Development Status :: 3 - Alpha" in project["classifiers"]
    kit = paa_root / "build" / "package_kit"
    kit_project = tomllib.loads((kit / "pyproject.toml").read_text())["project"]
    # the module's Development Status replaces the config's, as paa merges them
    assert [c for c in kit_project["classifiers"] if c.startswith("Development")] == [
        "Development Status :: 5 - Production/Stable"
    ]
    assert (kit / "LICENSE").read_text().startswith("Apache License 2.0 (package_kit's own)")
    assert (kit / "NOTICE").read_text() == "package_kit NOTICE\n"


def test_an_unmapped_import_blocks_only_its_own_package(shipyard: ShipyardCLI, paa_root: Path) -> None:
    """A local import that resolves to nothing is an error naming file and line, for that package only."""
    module = paa_root / "python_modules" / "param_frame.py"
    module.write_text(module.read_text() + "\nfrom .components.nowhere.thing import x\n")
    git(paa_root, "commit", "-qam", "[param_frame] broken")
    doc = run_json(shipyard, "plan", "-C", str(paa_root))
    assert [p["name"] for p in doc["packages"]] == ["param-frame"]
    run = shipyard("assemble", "param_frame", "-C", str(paa_root))
    assert run.code == 2 and "python_modules/param_frame.py:" in run.err and "nowhere" in run.err, run.err
    assert run_json(shipyard, "assemble", "mock_store", "-C", str(paa_root))["name"] == "mock-store"


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path / "bin" / "python"


@pytest.mark.integration
def test_release_every_package_then_install_from_the_index(
    shipyard: ShipyardCLI, paa_root: Path, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    # the third-party requirements come from the same index, as stand-ins: nothing from outside
    for wheel in paa_repo.standin_wheels(tmp_path / "standins"):
        shutil.copy2(wheel, fresh_pypiserver.root / wheel.name)
    (paa_root / "shipyard.toml").write_text(
        'stages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver).replace("tool.shipyard.", "")
    )
    git(paa_root, "add", "shipyard.toml")
    git(paa_root, "commit", "-qm", "publish with shipyard")
    paa_repo.touch_every_package(paa_root)
    env = {
        f"SHIPYARD_STAGING_{k}": v
        for k, v in (("USERNAME", fresh_pypiserver.username), ("PASSWORD", fresh_pypiserver.password))
    }
    env["UV_EXTRA_INDEX_URL"] = fresh_pypiserver.simple_url  # the stand-ins, for test-install and verify
    doc = run_json(shipyard, "release", "-C", str(paa_root), env=env)
    assert {p["name"]: p["version"] for p in doc["packages"] if p["verified"]} == NEXT
    tested = {p["name"]: p["test_install"]["tests"] for p in doc["packages"]}
    assert tested["mock-store"] == tested["shout-log"] == "passed"  # python_modules.* imports mapped
    assert "v0.4.0_mock_store" in doc["tags"] and "v0.2.2_attr_kit" in doc["tags"]
    assert run_json(shipyard, "plan", "-C", str(paa_root))["packages"] == []
    # from the index alone, into a fresh venv, with their requirements
    py = _venv(tmp_path / "venv")
    pip_install_from(py, fresh_pypiserver.simple_url, *sorted(NEXT))
    code = (
        "from importlib.resources import files\n"
        "from mock_store import MockStore, StoreConnector, SimilaritySearch\n"
        "from compare_frame import connector_name\n"
        "import param_frame, shout_log, prompt_kit, attr_kit, grid_runner, package_kit\n"
        "assert connector_name() == 'StoreConnector'\n"
        "assert param_frame.defaults_text() == 'alpha: 1\\nbeta: 2\\n'\n"
        "assert (files('mock_store') / 'artifacts' / 'settings' / 'store.json').read_text() == '{\"persist\": false}\\n'\n"
        "ns = {}\nexec('from shout_log import *', ns)\n"
        "assert {'Shouter', 'loud'} <= set(ns) and 'helper' not in ns\n"  # the module's __all__
        "assert shout_log.Shouter().say('hi') == 'HI!' and prompt_kit.make().name == 'plain'\n"
        "import mock_store; print(mock_store.__version__, len(MockStore().grid()))\n"
    )
    used = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert used.returncode == 0, used.stderr
    assert used.stdout == "0.4.0 2\n"
    cli = subprocess.run([str(tmp_path / "venv" / "bin" / "mockstore")], capture_output=True, text=True)
    assert cli.stdout == "mock store\n"
