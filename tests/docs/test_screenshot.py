"""A real browser (Debian's headless Chromium) opens the built site's index and a reference page
served on 127.0.0.1 (benchmarks/docs_screenshot.py); skipped where Chromium or the docs extra's theme
is not installed (`apt-get install chromium`, `./run.sh docs`)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

pytestmark = [
    pytest.mark.integration,  # a browser and a site build: minutes on a busy machine, not the edit loop
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(
        importlib.util.find_spec("material") is None,
        reason="mkdocs-material is not installed (the docs extra)",
    ),
]


def test_chromium_shows_the_index_and_a_reference_page(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)]
    built = subprocess.run(build, cwd=ROOT, capture_output=True, text=True, env=env)
    assert built.returncode == 0, built.stderr
    script = [sys.executable, str(ROOT / "benchmarks" / "docs_screenshot.py"), "--site", str(site)]
    # each page's text is checked in the DOM Chromium built, then each is shot
    shot = subprocess.run([*script, "--out", str(tmp_path / "shots")], capture_output=True, text=True)
    assert shot.returncode == 0, shot.stdout + shot.stderr
    for name in ("index", "reference"):
        png = tmp_path / "shots" / f"docs-{name}.png"
        assert png.read_bytes().startswith(b"\x89PNG")
        assert png.stat().st_size > 10_000  # a rendered page, not a blank one
