"""test-install imports the tests as pytest does for their authors (issue 23, point 2): their
configured import mode, else pytest's default, so a conftest.py imports the helpers beside it; the
installed wheel stays the code under test (a module of the package imported from elsewhere refuses
the run), and a collection error says why on its one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, built, make_project, repositories_toml
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration

APPLIANCE = "DATA = {'answer': 42}\n\n\ndef find(name):\n    return DATA[name]\n"
CONFTEST = (
    "import pytest\n\nfrom appliance import find\nfrom test_appliance import BASE\n\n\n"
    "@pytest.fixture\ndef expected():\n    return find('answer') + BASE\n"
)
WHERE = (
    "import tiny_pkg\n\n\ndef test_answer(expected):\n    assert tiny_pkg.answer() == expected\n\n\n"
    "def test_the_wheel_is_tested():\n    assert 'site-packages' in tiny_pkg.__file__\n"
)


def test_a_root_conftest_imports_the_helpers_beside_it(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    # no pytest configuration: pytest's default import mode puts the conftest's folder on sys.path
    root = built(
        make_project(tmp_path / "proj"),
        shipyard,
        **{
            "conftest.py": CONFTEST,
            "appliance.py": APPLIANCE,  # a helper module at the root, not named like a test
            "test_appliance.py": "BASE = 0\n\n\ndef test_base():\n    assert BASE == 0\n",
            "tests/test_where.py": WHERE,
        },
    )
    run = shipyard("test-install", "--json", "-C", str(root))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert (doc["tests"], doc["pytest_config"]) == ("passed", None)
    assert sorted(doc["test_paths"]) == ["test_appliance.py", "tests"]
    plain = shipyard("test-install", "-C", str(root))
    assert "running tests test_appliance.py with pytest's defaults" in plain.out, plain.text
    assert "4 passed" in plain.out  # with make_project's own test


def test_the_project_s_own_import_mode_is_kept(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    # a test importing a module beside it: found under pytest's default mode, not under the
    # importlib mode the project configures (as in its authors' own run)
    test = "import helper\n\n\ndef test_helper():\n    assert helper.VALUE == 1\n"
    root = built(
        make_project(tmp_path / "proj"),
        shipyard,
        **{"tests/helper.py": "VALUE = 1\n", "tests/test_helper.py": test},
    )
    run = shipyard("test-install", "-C", str(root))
    assert run.code == 0, run.text
    configured = built(root, shipyard, '[tool.pytest.ini_options]\naddopts = "--import-mode=importlib"\n')
    run = shipyard("test-install", "-C", str(configured))
    assert run.code == 1, run.text
    assert "No module named 'helper'" in run.err, run.text


def test_a_module_of_the_package_imported_from_beside_the_tests_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    # tests/tiny_pkg.py shadows the wheel under pytest's default mode: the tests would pass, testing
    # a file that is not in the wheel
    shadow = "def answer():\n    return 42\n"
    test = "import tiny_pkg\n\n\ndef test_answer():\n    assert tiny_pkg.answer() == 42\n"
    root = built(
        make_project(tmp_path / "proj", with_tests=False),
        shipyard,
        **{"tests/tiny_pkg.py": shadow, "tests/test_shadow.py": test},
    )
    run = shipyard("test-install", "-C", str(root))
    assert run.code == 1, run.text
    [error] = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert error == (
        f"error: the tests imported tiny_pkg from {root / 'tests' / 'tiny_pkg.py'}, not from the "
        "installed wheel: keep files named like the package out of the test folders, so the wheel is "
        "what is tested"
    ), error


def test_a_collection_error_says_why_on_its_line(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    broken = "import nowhere_to_be_found\n\n\ndef test_never():\n    pass\n"
    root = built(make_project(tmp_path / "proj"), shipyard, **{"tests/test_broken.py": broken})
    run = shipyard("test-install", "-C", str(root))
    assert run.code == 1, run.text
    [error] = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: the tests fail against the installed wheel: 1 error in "), error
    assert error.endswith(
        ": ERROR tests/test_broken.py - ModuleNotFoundError: No module named 'nowhere_to_be_found'"
    ), error


def test_pyyaml_s_legacy_tests_run_as_its_authors_run_them(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path
) -> None:
    # PyYAML 6.0.2: tests/legacy_tests/conftest.py does `from test_appliance import ...`, a module
    # beside it, and no pytest configuration; under importlib mode its collection failed (1 error)
    tree = real_sdist("PyYAML==6.0.2", tmp_path / "download")
    assert "from test_appliance import" in (tree / "tests/legacy_tests/conftest.py").read_text()
    assert shipyard("build", str(tree)).code == 0
    run = shipyard("test-install", "-C", str(tree))
    assert run.code == 0, run.text
    assert "imported _yaml, yaml from the installed wheel" in run.out
    assert "running tests with pytest's defaults against the installed wheel" in run.out
    assert "tests pass against the installed wheel: 2608 passed" in run.out, run.text


def test_a_release_to_pypiserver_runs_a_conftest_that_imports_its_helpers(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    files = {
        "conftest.py": CONFTEST,
        "appliance.py": APPLIANCE,
        "test_appliance.py": "BASE = 0\n",
        "tests/test_where.py": WHERE,
    }
    root = built(make_project(tmp_path / "proj", tool=tool), shipyard, **files)
    env = {
        "SHIPYARD_STAGING_USERNAME": fresh_pypiserver.username,
        "SHIPYARD_STAGING_PASSWORD": fresh_pypiserver.password,
    }
    run = shipyard("release", "--json", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert json.loads(run.out)["test_install"]["tests"] == "passed"
    assert set(fresh_pypiserver.served_files("tiny-pkg")) == {
        "tiny_pkg-1.0.0.tar.gz",
        "tiny_pkg-1.0.0-py3-none-any.whl",
    }
