"""Test requirements as the project pins them (issue 23, point 6): the versions a lock file holds,
requirements-dev.txt, the test-requirements-file option, each requirement once."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from shipyard.check import testlocks, testreqs
from shipyard.errors import ConfigError

UV_LOCK = """\
version = 1
requires-python = ">=3.9"

[[package]]
name = "proj"
version = "1.0"
source = { editable = "." }

[[package]]
name = "pytest"
version = "8.4.2"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.10'"]

[[package]]
name = "pytest"
version = "9.0.2"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version >= '3.10'"]

[[package]]
name = "Pytest_Xdist"
version = "3.8.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "forked"
version = "0.1"
source = { git = "https://example.invalid/forked?rev=main#abc" }
"""

PYLOCK = """\
lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "pytest"
version = "8.3.5"
index = "https://pypi.org/simple"

[[packages]]
name = "tomli"
version = "2.2.1"
marker = "python_full_version < '3.11'"

[[packages]]
name = "local-helper"
version = "0.1"
directory = { path = "helper" }
"""

PY39 = {"python_full_version": "3.9.18", "python_version": "3.9"}
PY312 = {"python_full_version": "3.12.1", "python_version": "3.12"}


def test_uv_lock_pins_what_comes_from_an_index_for_the_venv_s_python(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    lock = testlocks.find(tmp_path, skip=["proj"])
    assert lock.file == "uv.lock"
    names = ["pytest", "pytest-xdist", "proj", "forked", "hypothesis"]
    assert lock.pins(names, PY39) == ("pytest==8.4.2", "pytest-xdist==3.8.0")
    assert lock.pins(names, PY312) == ("pytest==9.0.2", "pytest-xdist==3.8.0")
    # the project itself, even where the lock has it from an index, is the wheel under test
    assert "proj" not in testlocks.find(tmp_path, skip=["PROJ"]).packages


def test_pylock_toml_wins_and_its_markers_are_read(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    (tmp_path / "pylock.toml").write_text(PYLOCK)
    lock = testlocks.find(tmp_path)
    assert lock.file == "pylock.toml"
    names = ["pytest", "tomli", "local-helper"]
    assert lock.pins(names, PY39) == ("pytest==8.3.5", "tomli==2.2.1")
    assert lock.pins(names, PY312) == ("pytest==8.3.5",)


def test_poetry_lock_s_git_sources_are_not_pinned(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "pytest"\nversion = "7.4.4"\n\n'
        '[[package]]\nname = "mine"\nversion = "0.3"\n[package.source]\ntype = "git"\nurl = "x"\n'
    )
    lock = testlocks.find(tmp_path)
    assert (lock.file, lock.pins(["pytest", "mine"], PY312)) == ("poetry.lock", ("pytest==7.4.4",))


def test_no_lock_pins_nothing_and_a_broken_one_is_a_usage_error(tmp_path: Path) -> None:
    assert testlocks.find(tmp_path) == testlocks.Lock()
    (tmp_path / "uv.lock").write_text("[[package]\n")
    with pytest.raises(ConfigError, match=r"^cannot read uv\.lock: .*: fix it \(or lock again\)$"):
        testlocks.find(tmp_path)
    (tmp_path / "uv.lock").write_text('package = "pytest"\n')
    with pytest.raises(ConfigError, match=r"must be tables with a name"):
        testlocks.find(tmp_path)


def test_requirements_dev_txt_is_read_when_nothing_else_declares_the_tests(tmp_path: Path) -> None:
    (tmp_path / "requirements-dev.txt").write_text("pytest>=8\n-r requirements/base.txt\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(
        "# shared\nsix==1.17.0 --hash=sha256:00\n-e .\nattrs ; python_version < '4'  # why\n"
    )
    found = testreqs.find({}, tmp_path, [])
    assert (found.source, found.files) == ("requirements-dev.txt", ("requirements-dev.txt",))
    assert found.named(tmp_path, []) == ("pytest", "six", "attrs")
    # a dev group in pyproject.toml is read before it
    dev = testreqs.find({"dependency-groups": {"dev": ["hypothesis"]}}, tmp_path, [])
    assert dev.source == "[dependency-groups] dev"


def test_the_test_requirements_file_option(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "tests.txt").write_text("pytest-randomly\n")
    file = tmp_path / "ci" / "tests.txt"
    alone = testreqs.find({"dependency-groups": {"test": ["six"]}}, tmp_path, [], file=file)
    assert (alone.source, alone.requirements, alone.files) == ("ci/tests.txt", (), ("ci/tests.txt",))
    pyproject = {"dependency-groups": {"ci": ["six"]}}
    both = testreqs.find(pyproject, tmp_path, [], group="ci", file=file)
    assert (both.source, both.requirements) == ("[dependency-groups] ci and ci/tests.txt", ("six",))
    assert both.named(tmp_path, []) == ("pytest", "six", "pytest-randomly")
    with pytest.raises(ConfigError, match=r"^test-requirements-file .*nope\.txt is no file: "):
        testreqs.find({}, tmp_path, [], file=tmp_path / "nope.txt")


def test_each_requirement_is_installed_and_shown_once(tmp_path: Path) -> None:
    groups = {"base": ["pytest>=8", "six"], "test": [{"include-group": "base"}, "pytest>=8", "six"]}
    found = testreqs.find({"dependency-groups": groups}, tmp_path, [])
    assert found.requirements == ("pytest>=8", "six")
    assert found.install_args(Path("w.whl"), tmp_path, Path("/c.txt")) == [
        "w.whl",
        "pytest>=8",
        "six",
        "-c",
        "/c.txt",
    ]


def test_the_test_extras_requirements_are_named_for_the_lock(tmp_path: Path) -> None:
    requires = [
        Requirement('hypothesis>=6; extra == "test"'),
        Requirement("attrs"),
        Requirement('x; extra == "doc"'),
    ]
    extras = testreqs.TestRequirements("the wheel's extras test", extras=("test",))
    assert extras.named(tmp_path, requires) == ("pytest", "hypothesis")
