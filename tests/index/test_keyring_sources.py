"""The keyring as a credential source: asked after ~/.pypirc (twine's order, and the library is
not even imported when the file has the credential), through the keyring library when installed
(the `keyring` extra), else through a `keyring` command on PATH, else named in the error with how
to install it. Each case runs in its own interpreter: keyring keeps its backend for the process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
URL = "https://pypi.corp.example/legacy/"
SCRIPT = """
import json, sys
from pathlib import Path
if sys.argv[1] == "no-library":
    sys.modules["keyring"] = None  # as if the extra were not installed
from shipyard.config import Repository
from shipyard.errors import ShipyardError
from shipyard.index.credentials import resolve
repo = Repository("corp-index", sys.argv[3], "https://pypi.corp.example/simple/")
try:
    cred = resolve(repo, Path(sys.argv[2]), {})
    out = {"source": cred.source, "username": cred.username, "password": cred.password.reveal()}
except ShipyardError as exc:
    out = {"error": exc.message}
out["keyring_imported"] = isinstance(sys.modules.get("keyring"), type(sys))
print(json.dumps(out))
"""


def _resolve(tmp_path: Path, *, library: bool, path: str, pypirc: str = "") -> dict[str, object]:
    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({URL: {"username": "kr-user", "password": "from-the-keyring"}}))
    (tmp_path / "pypirc").write_text(pypirc)
    env = {
        "PATH": path,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.helpers.filekeyring.FileKeyring",
        "KEYRING_PROPERTY_FILE": str(store),
        "SHIPYARD_PYPIRC": str(tmp_path / "pypirc"),
    }
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, "library" if library else "no-library", str(project), URL],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _git_only(tmp_path: Path) -> str:
    """A PATH with git (the .env guard asks it) and no keyring command."""
    git = shutil.which("git")
    assert git is not None
    folder = tmp_path / "git-only"
    folder.mkdir()
    (folder / "git").symlink_to(git)
    return str(folder)


def test_the_keyring_library_gives_the_credential(tmp_path: Path) -> None:
    found = _resolve(tmp_path, library=True, path=_git_only(tmp_path))
    assert found == {
        "source": "keyring",
        "username": "kr-user",
        "password": "from-the-keyring",
        "keyring_imported": True,
    }


def test_pypirc_comes_before_the_keyring_which_is_then_never_loaded(tmp_path: Path) -> None:
    pypirc = f"[corp-index]\nrepository = {URL}\nusername = rc-user\npassword = from-pypirc\n"
    found = _resolve(tmp_path, library=True, path=_git_only(tmp_path), pypirc=pypirc)
    assert found["password"] == "from-pypirc" and str(found["source"]).endswith("pypirc [corp-index]")
    assert found["keyring_imported"] is False


def test_without_the_library_the_keyring_command_on_path_is_asked(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "keyring"  # the real keyring CLI (keyring >= 25.2)
    if not command.exists():
        pytest.skip("no keyring command beside this interpreter")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "keyring").symlink_to(command)
    found = _resolve(tmp_path, library=False, path=f"{folder}{os.pathsep}{_git_only(tmp_path)}")
    assert found == {
        "source": "keyring",
        "username": "kr-user",
        "password": "from-the-keyring",
        "keyring_imported": False,
    }


def test_without_library_or_command_the_error_says_how_to_get_one(tmp_path: Path) -> None:
    found = _resolve(tmp_path, library=False, path=_git_only(tmp_path))
    error = found["error"]
    assert isinstance(error, str) and "\n" not in error
    assert "keyring (not installed: pip install 'shipyard-release[keyring]', or put the keyring " in error
    assert "from-the-keyring" not in error
