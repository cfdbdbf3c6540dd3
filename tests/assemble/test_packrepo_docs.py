"""`shipyard assemble --docs`: a real MkDocs build per package, into <site-dir>/<name>/."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from shipyard.assemble.layout import Module
from shipyard.assemble.reference import page
from tests.helpers.packrepo import example_repo, run_json
from tests.helpers.projects import ShipyardCLI, git


def text_of(page_html: Path) -> str:
    """The visible text of a built page's main column (tags dropped, entities decoded)."""
    source = page_html.read_text(encoding="utf-8")
    main = source[source.index('role="main"') :]
    return html.unescape(re.sub(r"<[^>]+>", "", main))


def test_sites_for_the_example_packages(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    doc = run_json(shipyard, "assemble", "--docs", "--build", "-C", str(root))
    sites = {p["name"]: p["site"] for p in doc["packages"]}
    assert {n: Path(s["path"]) for n, s in sites.items()} == {
        n: root / "site" / n for n in ("greetings", "menu", "recipes")
    }
    greetings = root / "site" / "greetings"
    # the home page is the README assemble picks (here: the module docstring)
    assert "Friendly greetings, in several languages." in text_of(greetings / "index.html")
    # docs/greetings/usage.md is a page of its own, in the navigation
    assert sites["greetings"]["pages"] == ["index.md", "usage.md", "reference.md"]
    assert "greet Ada --language fr" in text_of(greetings / "usage" / "index.html")
    assert 'href="usage/"' in (greetings / "index.html").read_text()
    # the reference lists the public names with signatures and docstrings, read without importing
    ref = text_of(greetings / "reference" / "index.html")
    assert "def greet(name: str, language: str='en') -> str" in ref
    assert "A greeting for name in language (English when the language is unknown)." in ref
    assert "GREETINGS = {'en': 'Hello'" in ref
    recipes_ref = text_of(root / "site" / "recipes" / "reference" / "index.html")
    assert "def names() -> list[str]" in recipes_ref and "def recipe(name: str)" in recipes_ref
    # nothing on the pages comes from elsewhere (highlight.js would come from a CDN)
    for built in greetings.rglob("*.html"):
        assert "cdnjs" not in built.read_text() and "googletagmanager" not in built.read_text()
    # the site lives beside the assembled tree, never in it, so never in a wheel
    for package in doc["packages"]:
        wheel = next(Path(d["path"]) for d in package["dists"] if d["kind"] == "wheel")
        assert not [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith((".html", ".md"))]
    assert git(root, "status", "--porcelain") == ""  # site/ is ignored by the example's .gitignore


def test_changelog_page_after_a_release(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = example_repo(tmp_path)
    run_json(shipyard, "release", "--no-test-install", "--no-verify-install", "-C", str(root))
    doc = run_json(shipyard, "assemble", "recipes", "--docs", "--site-dir", "public", "-C", str(root))
    site = root / "public" / "recipes"
    assert doc["site"]["path"] == str(site)
    assert doc["site"]["pages"] == ["index.md", "reference.md", "changelog.md"]
    changes = text_of(site / "changelog" / "index.html")
    assert "0.1.0" in changes
    assert "recipes 0.1.0" in (site / "index.html").read_text()  # the site's title names the version


def test_package_without_docs_folder(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """A folder module with no docs/NAME/: home from its notebook, reference of its re-exports."""
    root = tmp_path / "plain"
    run_json(shipyard, "init", "--packaging-repo", str(root))
    run_json(shipyard, "new", "word_count", "--description", "Count words.", "-C", str(root))
    package = root / "modules" / "shapes"
    package.mkdir()
    (package / "__init__.py").write_text(
        '"""Shapes and their areas."""\n\nfrom shapes.core import Square, area\n\n__all__ = ["Square", "area"]\n'
    )
    (package / "core.py").write_text(
        "class Square:\n"
        '    """A square."""\n\n'
        "    def __init__(self, side: float) -> None:\n        self.side = side\n\n"
        "    async def grow(self, by: float = 1.0) -> None:\n"
        '        """Make it bigger."""\n        self.side += by\n\n'
        "    def _private(self) -> None:\n        pass\n\n\n"
        "def area(square: Square) -> float:\n"
        '    """Its area."""\n    return square.side**2\n'
    )
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Shapes\n", "Squares, measured."]},
            {"cell_type": "code", "source": ["area(Square(2))"]},
        ]
    }
    (root / "notebooks" / "shapes.ipynb").write_text(json.dumps(notebook))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "two modules")
    doc = run_json(shipyard, "assemble", "--docs", "-C", str(root))
    sites = {p["name"]: p["site"] for p in doc["packages"]}
    assert sites["word-count"]["pages"] == ["index.md", "reference.md"]
    assert "Count words." in text_of(root / "site" / "word-count" / "index.html")
    assert "def hello() -> str" in text_of(root / "site" / "word-count" / "reference" / "index.html")
    home = text_of(root / "site" / "shapes" / "index.html")
    assert "Squares, measured." in home and "area(Square(2))" in home
    ref = text_of(root / "site" / "shapes" / "reference" / "index.html")
    for shown in (
        "class Square",
        "A square.",
        "def __init__(self, side: float) -> None",
        "async def grow(self, by: float=1.0) -> None",
        "Make it bigger.",
        "def area(square: Square) -> float",
    ):
        assert shown in ref, shown
    assert "_private" not in ref


def test_reference_page_reads_the_ast_only(tmp_path: Path) -> None:
    """A module that would fail on import is documented all the same: nothing is imported."""
    source = tmp_path / "fragile.py"
    source.write_text(
        '"""Fragile."""\n\nimport surely_not_installed_xyz\n\nraise RuntimeError("imported!")\n\n'
        "LIMIT: int = 3\nBIG = " + repr(list(range(100))) + "\n\n"
        "@surely_not_installed_xyz.cached\ndef f(*args: int, key: str = 'k', **kw: object) -> None:\n"
        '    """F."""\n\n\ndef _hidden() -> None:\n    pass\n'
    )
    text = page(Module("fragile", source), "1.2.3")
    assert "`import fragile` (version 1.2.3)" in text
    assert "LIMIT: int = 3" in text and "BIG = ..." in text
    assert "@surely_not_installed_xyz.cached\ndef f(*args: int, key: str='k', **kw: object) -> None" in text
    assert "_hidden" not in text


def test_docs_without_mkdocs_is_a_one_line_usage_error(tmp_path: Path) -> None:
    """An interpreter where mkdocs cannot be imported: exit 2, the install hint, nothing written."""
    root = example_repo(tmp_path)
    code = (
        "import sys\n"
        "sys.modules['mkdocs'] = None  # makes `import mkdocs` fail as if it were not installed\n"
        "from shipyard.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "assemble", "greetings", "--docs", "-C", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        "error: --docs builds the sites with MkDocs, which is not installed: "
        "pip install 'shipyard-release[docs]'"
    ]
    assert not (root / "build").exists() and not (root / "site").exists()
