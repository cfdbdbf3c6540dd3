"""test-install runs the project's tests as its developers run them: its dependency groups (includes
resolved), its console scripts first on PATH, stderr in a failure, tests found nowhere reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers.projects import ShipyardCLI, built, make_project

pytestmark = pytest.mark.integration


def test_a_conftest_that_cannot_import_shows_stderr_not_no_output(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = built(
        make_project(tmp_path / "proj"), shipyard, **{"conftest.py": "import not_installed_anywhere\n"}
    )
    run = shipyard("test-install", "-C", str(root))
    assert run.code == 1, run.text
    [error] = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: the tests fail against the installed wheel: ")
    assert "No module named 'not_installed_anywhere'" in error, error
    assert "no output" not in error and "Traceback" not in run.err
    verbose = shipyard("test-install", "--verbose", "-C", str(root))
    assert "stderr (last 40 lines):" in verbose.err and "ImportError while loading conftest" in verbose.err


def test_the_venv_console_script_is_first_on_path(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    # an older tiny-tool earlier on PATH is what shutil.which found before the venv's bin/ went first
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "tiny-tool").write_text("#!/bin/sh\necho decoy\n")
    (decoy / "tiny-tool").chmod(0o755)
    test = (
        "import shutil, subprocess, sys\nfrom pathlib import Path\n\n\ndef test_which():\n"
        "    found = shutil.which('tiny-tool')\n"
        "    assert found and Path(found).parent == Path(sys.executable).parent, found\n"
        "    assert subprocess.run([found], capture_output=True, text=True).stdout.strip() == '42'\n"
    )
    root = built(
        make_project(tmp_path / "proj"),
        shipyard,
        '[project.scripts]\ntiny-tool = "tiny_pkg:main"\n',
        **{
            "tests/test_which.py": test,
            "src/tiny_pkg/__init__.py": "def answer():\n    return 42\n\n\ndef main():\n    print(answer())\n",
        },
    )
    run = shipyard(
        "test-install", "--json", "-C", str(root), env={"PATH": f"{decoy}{os.pathsep}{os.environ['PATH']}"}
    )
    assert run.code == 0, run.text
    assert json.loads(run.out)["tests"] == "passed"


def test_a_test_group_with_includes_is_installed(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    groups = (
        '[dependency-groups]\nbase = ["six"]\nci = [{include-group = "base"}, "pytest>=8"]\n'
        '[tool.shipyard]\ntest-group = "ci"\n'
    )
    test = "import six\n\n\ndef test_included():\n    assert six.PY3\n"
    root = built(make_project(tmp_path / "proj"), shipyard, groups, **{"tests/test_included.py": test})
    run = shipyard("test-install", "--json", "-C", str(root))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["tests"] == "passed"
    assert doc["test_requirements"]["from"] == "[dependency-groups] ci"
    assert doc["test_requirements"]["requirements"] == ["six", "pytest>=8"]
    # the option turned off: no test, tests, testing or dev group, so pytest alone, and the test fails
    alone = shipyard("test-install", "--verbose", "--test-group", "", "-C", str(root))
    assert alone.code == 1, alone.text
    assert "test requirements from nowhere (pytest alone): pytest" in alone.out
    assert "No module named 'six'" in alone.text


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ('[tool.shipyard]\ntest-group = "nope"\n', "error: test-group 'nope' is declared nowhere"),
        (
            '[dependency-groups]\ntest = [{include-group = "test"}]\n',
            "error: pyproject.toml [dependency-groups] test: ",
        ),
        (
            '[dependency-groups]\ntest = ["not a requirement!"]\n',
            "error: pyproject.toml [dependency-groups] test: ",
        ),
    ],
    ids=["missing-group", "cyclic-include", "bad-requirement"],
)
def test_bad_test_requirements_are_one_usage_error(
    shipyard: ShipyardCLI, tmp_path: Path, tail: str, expected: str
) -> None:
    root = built(make_project(tmp_path / "proj"), shipyard, tail)
    run = shipyard("test-install", "-C", str(root))
    assert run.code == 2, run.text
    assert "Traceback" not in run.err
    [error] = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert error.startswith(expected), error


def test_tests_found_nowhere_are_reported(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    test = "def test_never_run():\n    assert False\n"
    root = built(make_project(tmp_path / "proj", with_tests=False), shipyard, **{"checks/test_x.py": test})
    run = shipyard("test-install", "--json", "-C", str(root))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert (doc["tests"], doc["test_paths"]) == ("none", [])
    assert doc["not_found"] == "no test files in tests/, test/ or test_*.py at the root"
    plain = shipyard("test-install", "-C", str(root))
    assert "no tests run: no test files in tests/, test/ or test_*.py at the root" in plain.err

    # testpaths that name the folder: found there, and run (this one fails: it is really run)
    pointed = built(root, shipyard, '[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    failed = shipyard("test-install", "-C", str(pointed))
    assert failed.code == 1 and "1 failed" in failed.err, failed.text
    # testpaths that match nothing are said, not skipped in silence
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('"checks"', '"gone"'))
    gone = shipyard("test-install", "--json", "-C", str(root))
    assert gone.code == 0, gone.text
    assert json.loads(gone.out)["not_found"] == "testpaths (gone) in pyproject.toml match no test files"


def test_a_testpath_holding_the_sources_is_left_out(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    # copied, src/ would be imported instead of the installed wheel (pytest puts run/src on sys.path)
    inside = "import tiny_pkg\n\n\ndef test_installed():\n    assert 'site-packages' in tiny_pkg.__file__\n"
    root = built(
        make_project(tmp_path / "proj"),
        shipyard,
        '[tool.pytest.ini_options]\ntestpaths = ["src", "tests"]\n',
        **{"src/tiny_pkg/test_inside.py": inside, "tests/test_where.py": inside},
    )
    run = shipyard("test-install", "--json", "-C", str(root))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert (doc["tests"], doc["test_paths"], doc["left_out"]) == ("passed", ["tests"], ["src"])
    plain = shipyard("test-install", "-C", str(root))
    assert "left out of the test run: src (the package's sources)" in plain.err
