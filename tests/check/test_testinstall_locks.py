"""test-install installs the test requirements as the project pins them (issue 23, point 6): the
versions of its lock file (uv.lock, pylock.toml), its requirements-dev.txt, the file the
test-requirements-file option names."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shipyard.check import testlocks
from shipyard.tools import venvs
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, built, make_project, repositories_toml
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration

# a suite written for pytest 8: a mark on a fixture warns there, and is a collection error in pytest 9
FOR_PYTEST_8 = (
    "import pytest\n\nimport tiny_pkg\n\n\n@pytest.fixture\n@pytest.mark.usefixtures('tmp_path')\n"
    "def expected():\n    return 42\n\n\ndef test_answer(expected):\n    assert tiny_pkg.answer() == expected\n"
)


def uv(root: Path, *args: str) -> None:
    subprocess.run([venvs.uv(), *args], cwd=root, check=True, capture_output=True, text=True)


def test_a_suite_written_for_pytest_8_runs_with_the_locked_pytest(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj")
    with (root / "pyproject.toml").open("a") as f:
        f.write('[dependency-groups]\ntest = ["pytest>=8"]\n')
    (root / "tests" / "test_for_pytest_8.py").write_text(FOR_PYTEST_8)
    # locked by uv as it was before pytest 9 came out (2025-11): pytest 8.4.2
    uv(root, "lock", "--exclude-newer", "2025-10-01")
    uv(
        root,
        "export",
        "--frozen",
        "--all-groups",
        "--format",
        "pylock.toml",
        "-o",
        str(tmp_path / "pylock.toml"),
    )
    built(root, shipyard)

    locked = shipyard("test-install", "-C", str(root))
    assert locked.code == 0, locked.text
    line = "test requirements from [dependency-groups] test: pytest>=8; versions from uv.lock: pytest==8.4.2"
    assert line in locked.out, locked.text
    assert "2 passed" in locked.out

    (root / "uv.lock").unlink()  # the newest pytest, as before: the suite does not collect
    newest = shipyard("test-install", "-C", str(root))
    assert newest.code == 1, newest.text
    assert "Marks cannot be applied to fixtures" in newest.err, newest.text

    shutil.copy(tmp_path / "pylock.toml", root / "pylock.toml")  # PEP 751, as uv exports it
    pylock = shipyard("test-install", "--json", "-C", str(root))
    assert pylock.code == 0, pylock.text
    doc = json.loads(pylock.out)
    assert doc["tests"] == "passed"
    assert (doc["test_requirements"]["lock"], doc["test_requirements"]["pins"]) == (
        "pylock.toml",
        ["pytest==8.4.2"],
    )


def test_requirements_dev_txt_and_the_test_requirements_file_option(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    test = "import six\n\n\ndef test_six():\n    assert six.PY3\n"
    root = built(
        make_project(tmp_path / "proj"),
        shipyard,
        **{
            "requirements-dev.txt": "six\npytest\n",
            "ci/bare.txt": "pytest\n",
            "tests/test_six.py": test,
        },
    )
    found = shipyard("test-install", "-C", str(root))
    assert found.code == 0, found.text
    assert "test requirements from requirements-dev.txt: pytest, -r requirements-dev.txt\n" in found.out
    # the option names the file the tests need, over what test-install looks for (here without six)
    named = shipyard("test-install", "--test-requirements-file", "ci/bare.txt", "-C", str(root))
    assert named.code == 1, named.text
    assert "test requirements from ci/bare.txt: pytest, -r ci/bare.txt\n" in named.out
    assert "No module named 'six'" in named.err


def test_iniconfig_s_own_uv_lock_pins_its_test_requirements(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path
) -> None:
    # iniconfig 2.3.1's sdist ships its uv.lock: [dependency-groups] dev "pytest>=8.4.2",
    # "pytest-xdist>=3.8", locked at 8.4.2 and 3.8.0 (the newest pytest is 9.x)
    tree = real_sdist("iniconfig==2.3.1", tmp_path / "download")
    assert shipyard("build", str(tree)).code == 0
    run = shipyard("test-install", "--json", "-C", str(tree))
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["tests"] == "passed"
    reqs = doc["test_requirements"]
    assert (reqs["from"], reqs["lock"]) == ("[dependency-groups] dev", "uv.lock")
    assert reqs["pins"] == ["pytest==8.4.2", "pytest-xdist==3.8.0"]


def test_attrs_s_uv_lock_forks_pytest_by_python(real_sdist: RealSdist, tmp_path: Path) -> None:
    # attrs 26.1.0 locks pytest 8.4.2 below Python 3.10 and 9.0.2 from 3.10: the venv's python decides
    tree = real_sdist("attrs==26.1.0", tmp_path / "download")
    lock = testlocks.find(tree, skip=["attrs"])
    assert len(lock.packages["pytest"]) == 2
    old = {
        "python_full_version": "3.9.18",
        "python_version": "3.9",
        "platform_python_implementation": "CPython",
    }
    new = {
        "python_full_version": "3.12.1",
        "python_version": "3.12",
        "platform_python_implementation": "CPython",
    }
    assert lock.pins(["pytest"], old) == ("pytest==8.4.2",)
    assert lock.pins(["pytest"], new) == ("pytest==9.0.2",)
    assert "attrs" not in lock.packages


def test_a_release_to_pypiserver_tests_with_the_locked_pytest(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(tmp_path / "proj", tool=tool)
    with (root / "pyproject.toml").open("a") as f:
        f.write('\n[dependency-groups]\ntest = ["pytest>=8"]\n')
    (root / "tests" / "test_for_pytest_8.py").write_text(FOR_PYTEST_8)
    uv(root, "lock", "--exclude-newer", "2025-10-01")
    built(root, shipyard)
    env = {
        "SHIPYARD_STAGING_USERNAME": fresh_pypiserver.username,
        "SHIPYARD_STAGING_PASSWORD": fresh_pypiserver.password,
    }
    run = shipyard("release", "--json", "-C", str(root), env=env)
    assert run.code == 0, run.text
    tested = json.loads(run.out)["test_install"]
    assert (tested["tests"], tested["test_requirements"]["pins"]) == ("passed", ["pytest==8.4.2"])
    assert set(fresh_pypiserver.served_files("tiny-pkg")) == {
        "tiny_pkg-1.0.0.tar.gz",
        "tiny_pkg-1.0.0-py3-none-any.whl",
    }
