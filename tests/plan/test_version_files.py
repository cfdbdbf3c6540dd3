"""A matching `__version__` is kept in step for every declaration style, and `version-files`
(PATH:NAME) names the other files a release writes its version into (issue 13, point 7)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from shipyard.errors import ConfigError
from shipyard.plan import source
from shipyard.tools.tomlread import tomllib
from tests.helpers.projects import POETRY_PYPROJECT as POETRY
from tests.helpers.projects import ShipyardCLI, commit, git, make_project, tag

INIT = 'from tiny_pkg._meta import VERSION\n\n__version__ = "1.0.0"\n'
SETUP_CFG = (
    '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n',
    "[metadata]\nname = tiny-pkg\nversion = 1.0.0\n",
)
VERSION_FILE = (
    '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "tiny-pkg"\ndynamic = ["version"]\n\n'
    '[tool.setuptools.dynamic]\nversion = { file = "VERSION" }\n'
)


def _tree(root: Path, pyproject: str, **files: str) -> dict[str, object]:
    (root / "src" / "tiny_pkg").mkdir(parents=True)
    (root / "src" / "tiny_pkg" / "__init__.py").write_text('__version__ = "1.0.0"\n')
    (root / "pyproject.toml").write_text(pyproject)
    for rel, text in files.items():
        (root / rel).write_text(text)
    return tomllib.loads(pyproject)


@pytest.mark.parametrize(
    ("pyproject", "files", "declared_in"),
    [
        (POETRY, {}, "pyproject.toml"),
        (SETUP_CFG[0], {"setup.cfg": SETUP_CFG[1]}, "setup.cfg"),
        (VERSION_FILE, {"VERSION": "1.0.0\n"}, "VERSION"),
    ],
    ids=["poetry", "setup.cfg", "version-file"],
)
def test_a_matching_dunder_version_is_kept_in_step_for_every_declaration(
    pyproject: str, files: dict[str, str], declared_in: str, tmp_path: Path
) -> None:
    data = _tree(tmp_path, pyproject, **files)
    declared = source.find(tmp_path, data)
    assert declared.version == "1.0.0"
    assert [p.path for p in declared.places] == [declared_in, "src/tiny_pkg/__init__.py"]
    edits = source.edits(tmp_path, declared, "1.1.0")
    assert edits["src/tiny_pkg/__init__.py"] == b'__version__ = "1.1.0"\n'
    assert b"1.1.0" in edits[declared_in] and b"1.0.0" not in edits[declared_in]


def test_a_dunder_version_that_does_not_match_is_left_alone(tmp_path: Path) -> None:
    data = _tree(tmp_path, POETRY)
    (tmp_path / "src" / "tiny_pkg" / "__init__.py").write_text('__version__ = "0.0.0.dev0"\n')
    assert [p.path for p in source.find(tmp_path, data).places] == ["pyproject.toml"]


def test_version_files_assignments_are_edited_on_top_of_the_declared_edits(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text('project = "x"\nrelease = "1.0.0"\nversion = release\n')
    (tmp_path / "meta.py").write_text("VERSION: str = '1.0.0'  # kept by shipyard\n")
    files = (("docs/conf.py", "release"), ("meta.py", "VERSION"))
    edits = source.assignment_edits(tmp_path, files, "2.0.0", {"meta.py": b"VERSION = '1.0.0'\nX = 1\n"})
    assert edits == {
        "meta.py": b"VERSION = '2.0.0'\nX = 1\n",  # the edit already made, edited again
        "docs/conf.py": b'project = "x"\nrelease = "2.0.0"\nversion = release\n',
    }
    assert source.assignment_edits(tmp_path, (("docs/conf.py", "release"),), "1.0.0", {}) == {}


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (("docs/nope.py", "release"), "docs/nope.py does not exist"),
        (("docs/conf.py", "RELEASE"), 'holds no RELEASE = "..."'),
        (("docs/conf.py", "version"), 'holds no version = "..."'),  # `version = release`: no literal
    ],
)
def test_a_missing_file_or_name_is_a_config_error(entry: tuple[str, str], said: str, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text('release = "1.0.0"\nversion = release\n')
    with pytest.raises(ConfigError, match="version-files entry") as caught:
        source.assignment_edits(tmp_path, (entry,), "2.0.0", {})
    assert said in str(caught.value)


@pytest.mark.integration
def test_a_poetry_bump_writes_every_version_file_and_builds_with_them(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    tool = '\n[tool.shipyard]\nstages = ["local"]\nversion-files = ["docs/conf.py:release", "src/tiny_pkg/_meta.py:VERSION"]\n'
    root = make_project(tmp_path / "proj", with_tests=False)
    (root / "pyproject.toml").write_text(POETRY + tool)
    (root / "src/tiny_pkg/__init__.py").write_text(INIT)
    (root / "src/tiny_pkg/_meta.py").write_text('VERSION = "1.0.0"\n')
    (root / "docs").mkdir()
    (root / "docs/conf.py").write_text('project = "tiny-pkg"\nrelease = "1.0.0"\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "poetry, docs")
    tag(root, "v1.0.0")
    commit(root, "fix: a fix")

    run = shipyard("release", "--bump", "--no-test-install", "--json", "-C", str(root))
    assert run.code == 0, run.text
    assert json.loads(run.out)["version"] == "1.0.1"
    changed = sorted(git(root, "show", "--name-only", "--format=", "HEAD").split())
    assert changed == [
        "CHANGELOG.md",
        "docs/conf.py",
        "pyproject.toml",
        "src/tiny_pkg/__init__.py",
        "src/tiny_pkg/_meta.py",
    ]
    assert 'release = "1.0.1"' in (root / "docs/conf.py").read_text()
    assert git(root, "status", "--porcelain") == ""
    (wheel,) = (root / ".shipyard/index/simple/tiny-pkg").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert '__version__ = "1.0.1"' in zf.read("tiny_pkg/__init__.py").decode()
        assert zf.read("tiny_pkg/_meta.py") == b'VERSION = "1.0.1"\n'
