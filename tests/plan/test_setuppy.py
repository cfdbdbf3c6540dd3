"""setup.py read with ast, never run: the setup() call's literal name and version, and the smallest
edit that writes a new version there (issue 23, point 1)."""

from __future__ import annotations

from pathlib import Path

from shipyard.plan import setuppy
from shipyard.plan.setuppy import SetupKeyword

SETUP = """\
import setuptools

VERSION = '2.0'


def main():
    setuptools.setup(
        name="pkg",
        version={version},
        ext_modules=[],
    )


if __name__ == "__main__":
    main()
"""


def test_a_literal_version_is_read_and_written_in_place() -> None:
    text = SETUP.format(version='"1.2.3"')
    assert SetupKeyword().read(text) == "1.2.3"
    assert SetupKeyword().write(text, "1.3.0") == SETUP.format(version='"1.3.0"')


def test_a_version_named_by_a_module_constant_is_written_at_the_constant() -> None:
    text = SETUP.format(version="VERSION")
    assert SetupKeyword().read(text) == "2.0"
    assert SetupKeyword().write(text, "2.1") == text.replace("VERSION = '2.0'", "VERSION = '2.1'")


def test_a_computed_version_is_not_guessed() -> None:
    for value in ("get_version()", "about['__version__']", "f'{X}.1'"):
        text = SETUP.format(version=value)
        assert SetupKeyword().read(text) is None
        assert SetupKeyword().write(text, "9.9") is None
    assert SetupKeyword().read("this is not python (") is None


def test_the_name_keyword_and_a_missing_setup_py(tmp_path: Path) -> None:
    assert setuppy.keyword(tmp_path, "name") is None
    (tmp_path / "setup.py").write_text(SETUP.format(version="u'1.0'"))
    assert setuppy.keyword(tmp_path, "name") == "pkg"
    assert SetupKeyword().write(SETUP.format(version="u'1.0'"), "1.1") == SETUP.format(version="u'1.1'")
