"""A stale `__version__` is not published: the version files python-semantic-release (and commitizen,
bump-my-version) are configured to write are written by `release --bump`, the import package's
`__version__` is found whatever its name, and a wheel whose `__version__` says another version than
the release is refused before any upload (issue 23, point 5). Real material: deezer-python 7.3.0's
sdist from PyPI (import package `deezer`, PSR's version_variables and version_toml)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from shipyard.plan import foreign
from shipyard.plan.source import Place
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, commit, git, make_project, staged, tag
from tests.helpers.realsdists import RealSdist

IGNORED = "dist/\n.shipyard/\nbuild/\n*.egg-info/\n__pycache__/\n"


@pytest.mark.integration
def test_a_real_psr_project_with_another_import_name_is_bumped_everywhere(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tree = real_sdist("deezer-python==7.3.0", tmp_path / "download")
    pyproject = (tree / "pyproject.toml").read_text()
    assert 'version_variables = [\n  "src/deezer/__init__.py:__version__",\n]' in pyproject
    assert '__version__ = "7.3.0"' in (tree / "src/deezer/__init__.py").read_text()
    env = staged(tree, fresh_pypiserver)
    (tree / ".gitignore").write_text(IGNORED)
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "chore: deezer-python 7.3.0")
    tag(tree, "v7.3.0")
    (tree / "src/deezer/extra.py").write_text('"""Something new."""\n')
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "feat: something new")

    release = shipyard("release", "--bump", "--no-test-install", "-C", str(tree), env=env)
    assert release.code == 0, release.text
    assert '__version__ = "7.4.0"' in (tree / "src/deezer/__init__.py").read_text()
    assert 'version = "7.4.0"' in (tree / "pyproject.toml").read_text()
    assert git(tree, "status", "--porcelain") == ""
    served = fresh_pypiserver.served_files("deezer-python")
    assert sorted(served) == ["deezer_python-7.4.0-py3-none-any.whl", "deezer_python-7.4.0.tar.gz"]
    built = tree / "dist" / "deezer_python-7.4.0-py3-none-any.whl"
    with zipfile.ZipFile(built) as zf:
        assert '__version__ = "7.4.0"' in zf.read("deezer/__init__.py").decode()


PSR = """
[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
version_variables = ["src/tiny_pkg/about.py:VERSION_STRING", "docs/conf.py:release:tf"]
"""


@pytest.mark.integration
def test_psr_version_variables_are_written_by_a_bump(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + PSR)
    (root / "src/tiny_pkg/about.py").write_text("VERSION_STRING = '1.0.0'\n")
    (root / "docs").mkdir()
    (root / "docs/conf.py").write_text('release = "v1.0.0"\n')
    env = staged(root, fresh_pypiserver)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "psr config")
    tag(root, "v1.0.0")
    commit(root, "fix: a fix")

    release = shipyard("release", "--bump", "--no-test-install", "-C", str(root), env=env)
    assert release.code == 0, release.text
    assert (root / "src/tiny_pkg/about.py").read_text() == "VERSION_STRING = '1.0.1'\n"
    assert (root / "docs/conf.py").read_text() == 'release = "v1.0.1"\n'
    assert '__version__ = "1.0.1"' in (root / "src/tiny_pkg/__init__.py").read_text()


@pytest.mark.integration
def test_a_wheel_with_a_stale_dunder_version_is_refused_before_any_upload(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root = make_project(tmp_path / "proj", name="deezer-like", version="7.4.0", with_tests=False)
    (root / "src/deezer_like").rename(root / "src/deezer")
    (root / "src/deezer/__init__.py").write_text('__version__ = "7.3.0"\n')
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text()
        + '[tool.hatch.build.targets.wheel]\npackages = ["src/deezer"]\n'
    )
    env = staged(root, fresh_pypiserver)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "7.4.0, __version__ forgotten")

    release = shipyard("release", "-C", str(root), env=env)
    assert release.code == 1, release.text
    assert release.err.strip() == (
        'error: deezer_like-7.4.0-py3-none-any.whl: deezer/__init__.py sets __version__ = "7.3.0", but '
        "this release is 7.4.0: name its source file in version-files (PATH:__version__) so that "
        "releases write it, or read the version with importlib.metadata"
    )
    assert fresh_pypiserver.served_files("deezer-like") == {}


def test_the_other_tools_version_files_are_read_as_they_mean_them(tmp_path: Path) -> None:
    pyproject = {
        "tool": {
            "semantic_release": {"version_variables": ["a.py:__version__:nf"], "tag_format": "r{version}"},
            "commitizen": {"version": "1.0.0", "version_files": ["README.md:^Version", "b.txt"]},
            "bumpversion": {"current_version": "1.0.0", "files": [{"filename": "c.cfg"}]},
        }
    }
    found = foreign.places(pyproject, "1.0.0")
    assert [p.path for _, p in found] == ["a.py", "README.md", "b.txt", "c.cfg"]
    (tmp_path / "a.py").write_text('__version__ = "1.0.0"\n')
    (tmp_path / "README.md").write_text("Version 1.0.0\nsee 1.0.0\n")
    (tmp_path / "b.txt").write_text("1.0.0")
    (tmp_path / "c.cfg").write_text("v = 1.0.0\n")
    edits = foreign.edits(tmp_path, found, "1.1.0", {})
    assert edits == {
        "a.py": b'__version__ = "1.1.0"\n',
        "README.md": b"Version 1.1.0\nsee 1.0.0\n",
        "b.txt": b"1.1.0",
        "c.cfg": b"v = 1.1.0\n",
    }
    tagged = foreign.places(
        {"tool": {"semantic_release": {"version_variables": ["a.py:__version__:tf"]}}}, None
    )
    assert foreign.edits(tmp_path, tagged, "2.0.0", {}) == {"a.py": b'__version__ = "v2.0.0"\n'}
    with pytest.raises(Exception, match=r"version_variables a\.py:VERSION: a\.py holds no version there"):
        foreign.edits(
            tmp_path,
            [
                (
                    "[tool.semantic_release] version_variables a.py:VERSION",
                    Place("a.py", foreign.Variable("VERSION")),
                )
            ],
            "2",
            {},
        )
