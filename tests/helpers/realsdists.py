"""Real sdists (and wheels) from PyPI, downloaded once a test session (pip's usual sources); sdists are
unpacked fresh for each test that asks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

RealSdist = Callable[[str, Path], Path]
RealDist = Callable[[str, str], Path]


def _download(cache: Path, requirement: str, kind: str) -> Path:
    """The one file `pip download` fetches for `requirement` ("wheel": --only-binary, else the sdist)."""
    folder = cache / f"{kind}-{requirement.replace('=', '_')}"
    if not folder.exists():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        only = ["--only-binary", ":all:"] if kind == "wheel" else ["--no-binary", ":all:"]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *only, "-d", str(partial),
             requirement],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        partial.rename(folder)
    (archive,) = folder.iterdir()
    return archive


@pytest.fixture(scope="session")
def real_dist(tmp_path_factory: pytest.TempPathFactory) -> RealDist:
    """`real_dist("packaging==24.0", "wheel")` (or "sdist"): the file as PyPI serves it, not unpacked."""
    cache = tmp_path_factory.mktemp("real-dists")
    return lambda requirement, kind: _download(cache, requirement, kind)


@pytest.fixture(scope="session")
def real_sdist(tmp_path_factory: pytest.TempPathFactory) -> RealSdist:
    """`real_sdist("six==1.10.0", dest)`: the project's source tree, unpacked under dest."""
    cache = tmp_path_factory.mktemp("real-sdists")

    def unpack(requirement: str, dest: Path) -> Path:
        archive = _download(cache, requirement, "sdist")
        dest.mkdir(parents=True, exist_ok=True)
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)  # noqa: S202 (a PyPI sdist we chose, into a test's own folder)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")
        (tree,) = (p for p in dest.iterdir() if p.is_dir())
        return tree

    return unpack
