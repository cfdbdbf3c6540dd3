"""Assembled trees built in this process with flit_core, the backend their pyproject names.

An isolated PEP 517 build costs two subprocesses per file; a packaging repository has dozens of
packages whose pyproject.toml shipyard wrote itself, so it calls the backend's hooks directly (its
public `buildapi`, run in the tree). The wheel is still built from the extracted sdist, which proves
the sdist complete, and SOURCE_DATE_EPOCH pins the times, so a rebuild gives the same bytes.

A build changes the working folder and SOURCE_DATE_EPOCH, which are the whole process's: while
other threads work (packages released in parallel), a `Builder` runs the builds in one worker
process instead, started once.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from shipyard.builder.pep517 import extract_sdist
from shipyard.dists import Dist, identify, write_manifest
from shipyard.errors import BuildError
from shipyard.tools import workdirs
from shipyard.tools.procenv import child_env

_LOCK = threading.Lock()  # cwd and the environment are the process's: one build at a time


@contextlib.contextmanager
def _in(tree: Path, epoch: int | None) -> Iterator[None]:
    before, old_epoch = Path.cwd(), os.environ.get("SOURCE_DATE_EPOCH")
    with _LOCK:
        os.chdir(tree)
        if epoch is not None:
            os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        try:
            yield
        finally:
            os.chdir(before)
            if old_epoch is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old_epoch


def build_tree(tree: Path, out_dir: Path, epoch: int | None) -> list[Dist]:
    """The sdist and the wheel (from the sdist) of the assembled `tree`, into `out_dir`."""
    from flit_core import buildapi

    workdirs.ensure(out_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="shipyard-flit-") as tmp:
            with _in(tree, epoch):
                sdist = out_dir / buildapi.build_sdist(str(out_dir))
            with _in(extract_sdist(sdist, Path(tmp)), epoch):
                wheel = out_dir / buildapi.build_wheel(str(out_dir))
    except (Exception, SystemExit) as exc:  # flit_core raises its own kinds; all mean the same here
        raise BuildError(f"building {tree.name} failed: {type(exc).__name__}: {exc}") from None
    dists = [identify(sdist), identify(wheel)]
    write_manifest(out_dir, dists)
    return dists


WORKER = r"""
import json, os, sys, tarfile, tempfile
sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
from flit_core import buildapi
answers, sys.stdout = sys.stdout, sys.stderr  # what the backend prints stays off the answers
for line in sys.stdin:
    job = json.loads(line)
    try:
        if job["epoch"] is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = str(job["epoch"])
        os.chdir(job["tree"])
        sdist = os.path.join(job["out"], buildapi.build_sdist(job["out"]))
        with tempfile.TemporaryDirectory(prefix="shipyard-flit-") as tmp:
            with tarfile.open(sdist) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:
                    for m in tf.getmembers():
                        if m.name.startswith(("/", "..")) or "/../" in m.name or m.issym() or m.islnk():
                            raise ValueError("unsafe member in the sdist: " + m.name)
                    tf.extractall(tmp)
            roots = [e.path for e in os.scandir(tmp) if e.is_dir()]
            if len(roots) != 1:
                raise ValueError("the sdist does not hold one top-level folder")
            os.chdir(roots[0])
            wheel = os.path.join(job["out"], buildapi.build_wheel(job["out"]))
            os.chdir(job["out"])
        answer = {"sdist": sdist, "wheel": wheel}
    except (Exception, SystemExit) as exc:
        answer = {"error": type(exc).__name__ + ": " + str(exc)}
    answers.write(json.dumps(answer) + "\n")
    answers.flush()
"""


class Builder:
    """build_tree's builds for threads: one worker process of this interpreter runs flit_core for
    them, one build at a time, so the builds' working folder and SOURCE_DATE_EPOCH are the worker's,
    never those of this process (where other threads start children). Started at the first build;
    `close()` ends it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def build(self, tree: Path, out_dir: Path, epoch: int | None) -> list[Dist]:
        """As build_tree: the sdist and the wheel (from the sdist) of `tree`, into `out_dir`."""
        workdirs.ensure(out_dir)
        job = {"tree": str(tree.resolve()), "out": str(out_dir.resolve()), "epoch": epoch}
        with self._lock:
            proc = self._worker()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(job) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except OSError:
                line = ""
            if not line:
                self._proc = None
                raise BuildError(f"building {tree.name} failed: the build worker ended (exit {proc.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise BuildError(f"building {tree.name} failed: {answer['error']}")
        dists = [identify(Path(answer["sdist"])), identify(Path(answer["wheel"]))]
        write_manifest(out_dir, dists)
        return dists

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait()

    def _worker(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", WORKER],
                cwd=tempfile.gettempdir(),
                env=child_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                errors="replace",
            )
        return self._proc
