"""The test-install of a package that needs a sibling of the same repository: the sibling's wheel
comes from this run (released with it, or rebuilt at its last version), never from an index."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.helpers.packrepo import example_repo, run_json
from tests.helpers.projects import ShipyardCLI, git

# runs inside the test-install venv: which recipes wheel did the installer take?
SIBLING_TEST = """\
import json
from importlib.metadata import distribution


def test_recipes_is_the_wheel_of_this_run() -> None:
    url = json.loads(distribution("recipes").read_text("direct_url.json"))["url"]
    assert url.endswith("/dist/recipes/recipes-{version}-py3-none-any.whl"), url
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.integration
def test_dependant_is_tested_with_the_siblings_wheel_of_this_run(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = example_repo(tmp_path)
    run_json(shipyard, "release", "--no-test-install", "--no-verify-install", "-C", str(root))
    released = root / ".shipyard" / "index" / "simple" / "recipes" / "recipes-0.1.0-py3-none-any.whl"
    assert released.is_file()

    # 1. menu changes, recipes does not: recipes is rebuilt at 0.1.0 for menu's test-install
    (root / "tests" / "menu" / "test_sibling.py").write_text(SIBLING_TEST.format(version="0.1.0"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[menu] test against the sibling")
    (root / "dist" / "recipes").joinpath("recipes-0.1.0-py3-none-any.whl").unlink()
    doc = run_json(shipyard, "release", "-C", str(root))
    [menu] = doc["packages"]
    assert (menu["name"], menu["version"], menu["test_install"]["tests"]) == ("menu", "0.1.1", "passed")
    rebuilt = root / "dist" / "recipes" / "recipes-0.1.0-py3-none-any.whl"
    assert sha256(rebuilt) == sha256(released)  # the same bytes as the release: a faithful stand-in

    # 2. both change in one merge: menu is tested with the recipes 0.2.0 built minutes before
    with (root / "modules" / "recipes.py").open("a") as f:
        f.write('\n\ndef count() -> int:\n    """How many recipes there are."""\n    return len(names())\n')
    git(root, "commit", "-qam", "[recipes][.+.] count")
    with (root / "modules" / "menu.py").open("a") as f:
        f.write(
            '\n\ndef size() -> int:\n    """How many dishes are on the menu."""\n    return recipes.count()\n'
        )
    (root / "tests" / "menu" / "test_sibling.py").write_text(
        SIBLING_TEST.format(version="0.2.0")
        + "\n\ndef test_size_uses_the_new_recipes() -> None:\n    import menu\n\n    assert menu.size() == 2\n"
    )
    git(root, "commit", "-qam", "[menu][.+.] size")
    doc = run_json(shipyard, "release", "-C", str(root))
    assert [(p["name"], p["version"], p["test_install"]["tests"]) for p in doc["packages"]] == [
        ("recipes", "0.2.0", "passed"),
        ("menu", "0.2.0", "passed"),
    ]
    assert '"recipes>=0.2.0"' in (root / "build" / "menu" / "pyproject.toml").read_text()
