"""Assembled trees built in this process with flit_core, the backend their pyproject names.

An isolated PEP 517 build costs two subprocesses per file; a packaging repository has dozens of
packages whose pyproject.toml shipyard wrote itself, so it calls the backend's hooks directly (its
public `buildapi`, run in the tree). The wheel is still built from the extracted sdist, which proves
the sdist complete, and SOURCE_DATE_EPOCH pins the times, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from shipyard.builder.pep517 import extract_sdist
from shipyard.dists import Dist, identify, write_manifest
from shipyard.errors import BuildError
from shipyard.tools import workdirs

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
