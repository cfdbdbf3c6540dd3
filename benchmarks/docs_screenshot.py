"""A real browser opens the built docs site: headless Chromium (Debian's `chromium` package) loads
the index and one reference page from a server on 127.0.0.1 and saves a screenshot of each.

    ./run.sh docs && .venv/bin/python benchmarks/docs_screenshot.py [--site site] [--out DIR]

Prints each screenshot's path and size; exit 1 if Chromium is missing, a page is not served, or a
screenshot is not a PNG of the page (the page's own text is checked with --dump-dom first).
tests/docs/test_screenshot.py runs it when Chromium is installed (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"index": "", "reference": "reference/commands/release/"}
# what each page must show, read from the DOM Chromium built (not from the files on disk)
EXPECTED = {"index": "Release Python packages", "reference": "shipyard release"}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,900",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@contextlib.contextmanager
def serving(site: Path) -> Iterator[str]:
    """The site over http on 127.0.0.1 (a free port), for as long as the block runs."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _browse(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def shoot(site: Path, out: Path) -> dict[str, Path]:
    browser = chromium()
    if browser is None:
        raise SystemExit("error: chromium is not installed (apt-get install -y chromium)")
    if not (site / "index.html").is_file():
        raise SystemExit(f"error: no built site in {site}: run ./run.sh docs first")
    out.mkdir(parents=True, exist_ok=True)
    shots = {}
    with serving(site) as base, tempfile.TemporaryDirectory() as tmp:
        for name, path in PAGES.items():
            url = base + path
            dom = _browse(browser, Path(tmp) / f"dom-{name}", "--dump-dom", url)
            if EXPECTED[name] not in dom.stdout:
                raise SystemExit(f"error: {url} does not show {EXPECTED[name]!r}: {dom.stderr[-300:]}")
            shot = out / f"docs-{name}.png"
            shot.unlink(missing_ok=True)
            made = _browse(browser, Path(tmp) / f"shot-{name}", f"--screenshot={shot}", url)
            if not shot.is_file() or not shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"):
                raise SystemExit(f"error: no screenshot of {url}: {made.stderr[-300:]}")
            shots[name] = shot
    return shots


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (default: site/)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out", help="where the PNGs go")
    args = parser.parse_args(argv)
    for name, shot in shoot(args.site.resolve(), args.out.resolve()).items():
        print(f"{name}: {shot} ({shot.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
