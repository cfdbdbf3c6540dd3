"""The uv that makes and fills shipyard's virtual environments, found once a run.

A `uv` already on PATH (0.5 or later) first, as most people who use uv have one; else the uv
package's binary (`pip install 'shipyard-release[uv]'`, or a uv installed beside shipyard); else
shipyard installs one, once, into its cache (`python -m pip install --target CACHE/uv/current`).
Without pip either, one error line says how to get uv. shipyard itself no longer depends on the uv wheel
(38 MB of a 104 MB install).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from shipyard.errors import InstallError
from shipyard.tools.procenv import child_env
from shipyard.tools.workdirs import cache_dir

LOWEST = (0, 5)  # the flags shipyard passes (--no-config, uv pip install --python) are there since 0.5
SPEC = "uv>=0.5,<1"
EXE = "uv.exe" if os.name == "nt" else "uv"
HOW = (
    "put uv on PATH (https://docs.astral.sh/uv/getting-started/installation/), "
    "or pip install 'shipyard-release[uv]'"
)


@functools.cache
def find() -> str:
    """The path of the uv to run; InstallError (one line) when none can be had."""
    on_path = shutil.which("uv")
    if on_path is not None and version(on_path) >= LOWEST:
        return on_path
    if (packaged := _packaged()) is not None:
        return packaged
    return _installed()


def version(program: str) -> tuple[int, ...]:
    """uv's version as numbers, () when it does not answer `uv --version` as uv does."""
    try:
        proc = subprocess.run(
            [program, "--version"], env=child_env(), capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    found = re.match(r"uv (\d+)\.(\d+)", proc.stdout.strip())
    return (int(found[1]), int(found[2])) if proc.returncode == 0 and found else ()


def _packaged() -> str | None:
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def _installed() -> str:
    """A uv of shipyard's own, in its cache: installed the first time, by this interpreter's pip."""
    from shipyard.tools.lock import file_lock  # filelock: only the first run that installs uv

    home = cache_dir() / "uv"
    home.mkdir(parents=True, exist_ok=True)
    binary = home / "current" / "bin" / EXE
    with file_lock(home / ".lock"):
        if binary.is_file():
            return str(binary)
        tmp = Path(tempfile.mkdtemp(dir=home, prefix="installing-"))
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "--no-input", "--target", str(tmp), SPEC],
                env=child_env(),
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )  # fmt: skip
            if proc.returncode or not (tmp / "bin" / EXE).is_file():
                said = [line for line in proc.stderr.splitlines() if line.strip()]
                why = said[-1].strip() if said else "pip installed no uv binary"
                raise InstallError(f"shipyard needs uv and could not install one ({why}): {HOW}")
            tmp.rename(home / "current")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return str(binary)
