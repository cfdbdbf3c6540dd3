"""Virtual environments made and filled with uv: fast enough to make a fresh one for every check."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from shipyard.errors import InstallError
from shipyard.tools import uvbin
from shipyard.tools.procenv import child_env


@functools.cache  # found once a run (threads release packages at once)
def uv() -> str:
    """The uv to run (tools.uvbin: on PATH, the uv package's, or one in shipyard's cache)."""
    return uvbin.find()


def python_in(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")


def run(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        env=dict(env) if env is not None else child_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


_EXCEPTION = re.compile(r"[A-Za-z_][\w.]*(: .*)?")  # `ValueError: ...`, `pkg.mod.SomeError: ...`


def exception_line(output: str) -> str:
    """The line that names the exception of the last Python traceback in `output` (`ValueError:
    Unable to determine which files to ship...`), not the last line of its message, which may be
    an example's (hatchling's ends in `packages = ["src/foo"]`); the last line without a traceback."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if starts:
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and not line[0].isspace():  # the frames are indented, the exception not
                return line.strip() if _EXCEPTION.fullmatch(line.strip()) else last_line(output)
    return last_line(output)


def create(venv: Path, python: str) -> Path:
    """A new, empty virtual environment (no system site-packages) for interpreter `python`."""
    result = run([uv(), "venv", "--quiet", "--no-config", "--python", python, str(venv)])
    if result.returncode:
        raise InstallError(f"could not create a virtual environment: {last_line(result.stderr)}")
    return python_in(venv)


def install(python: Path, args: Sequence[str], *, what: str, env: Mapping[str, str] | None = None) -> None:
    """`uv pip install` into the environment of `python`; InstallError names `what` failed."""
    result = run([uv(), "pip", "install", "--quiet", "--python", str(python), *args], env=env)
    if result.returncode:
        raise InstallError(f"could not install {what}: {last_line(result.stderr)}", detail=result.stderr)


def import_all(python: Path, names: Sequence[str], cwd: Path) -> None:
    """Import every top-level name in the environment, from a folder that holds no sources."""
    if not names:
        raise InstallError("the wheel holds no importable top-level package or module")
    code = "import importlib, sys\nfor n in sys.argv[1:]: importlib.import_module(n)"
    result = run([str(python), "-c", code, *names], cwd=cwd)
    if result.returncode:
        raise InstallError(
            f"importing {', '.join(names)} from the installed wheel failed: {last_line(result.stderr)}",
            detail=result.stderr,
        )


# PEP 508's definitions of the marker variables, evaluated by the venv's own interpreter
_MARKER_ENVIRONMENT = """\
import json, os, platform, sys
i = sys.implementation.version
v = f"{i.major}.{i.minor}.{i.micro}"
if i.releaselevel != "final":
    v += i.releaselevel[0] + str(i.serial)
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": v,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""


def marker_environment(python: Path) -> dict[str, str]:
    """The values environment markers (`python_version < "3.11"`...) take for `python`: what an
    installer evaluates a requirement's marker against there."""
    result = run([str(python), "-c", _MARKER_ENVIRONMENT])
    if result.returncode:
        raise InstallError(f"{python} could not say its environment: {last_line(result.stderr)}")
    values: dict[str, str] = json.loads(result.stdout)
    return values
