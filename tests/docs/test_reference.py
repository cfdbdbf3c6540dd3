"""The docs site: generated pages are current, and everything the old README said has a page."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Every section of the README as it was before the docs site (1,374 lines, issue 26), and the page
# that holds it now, under the same heading.
MOVED = {
    "Set up and try it": "getting-started.md",
    "Quick start for your project": "getting-started.md",
    "Commands": "getting-started.md",
    "PyPI's rules in `check`": "guides/single-project.md",
    "Test-install: the project's own tests": "guides/single-project.md",
    "shipyard doctor": "guides/single-project.md",
    "Versions from git": "guides/versions.md",
    "Credentials": "guides/trusted-publishing.md",
    "Provenance": "guides/trusted-publishing.md",
    "Packaging repositories: one package per module": "guides/packaging-repositories.md",
    "package-auto-assembler repositories, as they are": "guides/packaging-repositories.md",
    "CI pipelines": "guides/ci.md",
    "The forge's release": "guides/ci.md",
    "Checking a pipeline: `shipyard ci check`": "guides/ci.md",
    "Networks: CAs, client certificates, proxies": "guides/private-indexes.md",
    "Configuration": "guides/configuration.md",
    "Coming from twine or uv": "guides/migrating.md",
    "What shipyard's children see": "how-it-works/trust-model.md",
    "What check refuses inside a dist": "how-it-works/trust-model.md",
    "Faults, races and the audit log": "how-it-works/faults.md",
    "Exit codes": "how-it-works/faults.md",
    "How the source is laid out": "how-it-works/architecture.md",
    "How it works, and which library does what": "how-it-works/libraries.md",
    "Speed": "how-it-works/speed.md",
    "Tests": "contributing.md",
}
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_reference", DOCS / "gen" / "reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _page(path: Path) -> str:
    """The page as mkdocs renders it: its snippet includes (--8<-- "FILE") expanded."""
    return INCLUDE.sub(lambda m: (ROOT / m.group(1)).read_text(), path.read_text())


def test_the_generated_pages_and_schema_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPYARD_JSON", "1")  # a default read from the environment changes no page
    generator = _generator()
    made = generator.generate()
    assert {"reference/options.md", "reference/exit-codes.md", "schema/shipyard.json"} <= set(made)
    assert "reference/commands/release.md" in made
    assert generator.stale(made) == [], "regenerate them: ./run.sh docs (python docs/gen/reference.py)"


def test_a_changed_option_makes_the_pages_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    from shipyard.options import OPTIONS

    generator = _generator()
    changed = OPTIONS["remote"]._replace(help="somewhere else entirely")
    monkeypatch.setitem(OPTIONS, "remote", changed)
    stale = generator.stale(generator.generate())
    assert "reference/options.md" in stale
    assert "schema/shipyard.json" in stale


def test_every_command_has_its_page_in_the_nav() -> None:
    from shipyard.cli import parser

    commands = _generator()._subcommands(parser())
    nav = (ROOT / "mkdocs.yml").read_text()
    for name in commands:
        assert (DOCS / "reference" / "commands" / f"{name}.md").is_file(), name
        assert f"- {name}: reference/commands/{name}.md" in nav, name


@pytest.mark.parametrize(("heading", "page"), MOVED.items())
def test_every_section_of_the_old_readme_has_a_page(heading: str, page: str) -> None:
    text = _page(DOCS / page)
    assert re.search(rf"^#{{1,4}} {re.escape(heading)}$", text, re.MULTILINE), f"{heading} not in {page}"
    assert (ROOT / "mkdocs.yml").read_text().count(f": {page}\n") == 1, f"{page} not in the nav"


def test_the_readme_is_short_and_keeps_its_promises() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "./run.sh demo    # installs shipyard into .venv" in readme
    assert "./run.sh test    # installs the test requirements and runs the whole suite" in readme
    for link in re.findall(r"\]\(([^)#]+)", readme):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link
