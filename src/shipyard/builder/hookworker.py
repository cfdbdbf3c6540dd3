"""The sdist and the wheel from one backend process.

`build` (through pyproject_hooks) starts a fresh interpreter for every hook, which imports the
backend anew: for a small project that start-up is most of the build. Where both hooks run in the
same environment (no `backend-path`, the same requirements for both kinds), one worker in that
environment's interpreter imports the backend once, calls `build_sdist` in the source tree, unpacks
the sdist and calls `build_wheel` in it: the wheel is still built from the sdist, which proves it
complete. The worker is the standard library only; the source tree is kept off its `sys.path`
as PEP 517 asks.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from shipyard import events
from shipyard.errors import BuildError
from shipyard.tools.procenv import child_env
from shipyard.tools.venvs import exception_line

MARK = "\x1eshipyard-hook:"

WORKER = r"""
import importlib, json, os, sys, tarfile
sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
args = json.loads(sys.argv[1])
module, _, attrs = args["backend"].partition(":")
backend = importlib.import_module(module)
for attr in filter(None, attrs.split(".")):
    backend = getattr(backend, attr)
print(MARK + "sdist", flush=True)
sdist = os.path.join(args["out"], backend.build_sdist(args["out"], {}))
with tarfile.open(sdist) as tf:
    if hasattr(tarfile, "data_filter"):
        tf.extractall(args["unpack"], filter="data")
    else:
        for member in tf.getmembers():
            name = member.name
            if name.startswith(("/", "..")) or "/../" in name or member.issym() or member.islnk():
                raise SystemExit("unsafe member in the sdist: " + name)
        tf.extractall(args["unpack"])
roots = [e.path for e in os.scandir(args["unpack"]) if e.is_dir()]
if len(roots) != 1:
    raise SystemExit("the sdist does not hold one top-level folder")
os.chdir(roots[0])
print(MARK + "wheel", flush=True)
wheel = os.path.join(args["out"], backend.build_wheel(args["out"], {}, None))
with open(args["result"], "w") as f:
    json.dump({"sdist": sdist, "wheel": wheel}, f)
""".replace("MARK", repr(MARK))


def build_both(
    python: str,
    backend: str,
    srcdir: Path,
    work: Path,
    environ: Mapping[str, str],
    emit: events.Emit,
) -> tuple[Path, Path]:
    """(sdist, wheel) built by one worker in `python` (a build environment's), into `work`/out."""
    out, unpack, result = work / "out", work / "src", work / "result.json"
    out.mkdir(parents=True, exist_ok=True)
    unpack.mkdir(exist_ok=True)
    args = {"backend": backend, "out": str(out), "unpack": str(unpack), "result": str(result)}
    output: list[str] = []
    kind = "sdist"
    with subprocess.Popen(
        [python, "-c", WORKER, json.dumps(args)],
        cwd=srcdir,
        env=child_env(dict(environ)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(MARK):
                kind = line[len(MARK) :].strip()
                if kind == "wheel":
                    events.step(emit, "building wheel from the sdist")
                continue
            output.append(line)
    text = "".join(output)
    if proc.returncode or not result.is_file():
        raise BuildError(
            f"building the {kind} failed: {exception_line(text)} (--verbose shows the backend's output)",
            detail=text,
        )
    made = json.loads(result.read_text())
    return Path(made["sdist"]), Path(made["wheel"])
