"""Which uv shipyard runs (tools.uvbin): one on PATH first, else the uv package's, else one it
installs into its cache with this interpreter's pip (the uv wheel is no longer a dependency)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.tools import uvbin

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
if sys.argv[1] == "no-package":
    sys.modules["uv"] = None  # as if the uv extra were not installed
from shipyard.errors import ShipyardError
from shipyard.tools import uvbin
try:
    found = uvbin.find()
    print(json.dumps({"uv": found, "version": list(uvbin.version(found))}))
except ShipyardError as exc:
    print(json.dumps({"error": exc.message}))
"""


def _packaged_uv() -> Path:
    from uv import find_uv_bin  # the test extra installs the uv wheel

    return Path(find_uv_bin())


def _find(tmp_path: Path, *, package: bool, path: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL"))}
    env.update(PATH=path, SHIPYARD_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, "package" if package else "no-package"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    found: dict[str, object] = json.loads(proc.stdout)
    return found


def _no_uv_path(tmp_path: Path) -> str:
    """A PATH with the system's programs and no uv."""
    folders = [p for p in ("/usr/bin", "/bin") if Path(p).is_dir() and not (Path(p) / "uv").exists()]
    assert folders, "no PATH folder without a uv"
    return os.pathsep.join(folders)


def test_a_uv_on_path_comes_first(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / uvbin.EXE).symlink_to(_packaged_uv())  # a real uv, where PATH finds it
    found = _find(tmp_path, package=True, path=f"{folder}{os.pathsep}{_no_uv_path(tmp_path)}")
    assert found["uv"] == str(folder / uvbin.EXE)
    assert isinstance(found["version"], list) and tuple(found["version"]) >= uvbin.LOWEST


def test_without_one_on_path_the_uv_package_is_used(tmp_path: Path) -> None:
    found = _find(tmp_path, package=True, path=_no_uv_path(tmp_path))
    assert found["uv"] == str(_packaged_uv())
    assert not (tmp_path / "cache" / "uv").exists()  # nothing installed


@pytest.mark.integration
def test_with_neither_one_is_installed_into_the_cache_once(tmp_path: Path) -> None:
    """Downloads the uv wheel through pip's configured index (this machine's mirror)."""
    if shutil.which("pip", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("this interpreter has no pip")
    found = _find(tmp_path, package=False, path=_no_uv_path(tmp_path))
    installed = tmp_path / "cache" / "uv" / "current" / "bin" / uvbin.EXE
    assert found["uv"] == str(installed) and installed.is_file()
    assert isinstance(found["version"], list) and tuple(found["version"]) >= uvbin.LOWEST
    again = _find(tmp_path, package=False, path=_no_uv_path(tmp_path))  # found there, not installed again
    assert again["uv"] == str(installed)
    assert [p.name for p in (tmp_path / "cache" / "uv").iterdir() if p.name.startswith("installing-")] == []
