"""Peak memory of reading a huge PEP 691 page from a hostile index (issue 12, point 13).

A server on 127.0.0.1 serves a valid JSON (or, with `html`, PEP 503 HTML) project page of SIZE MB
(default 200), once with a Content-Length and once without (read until the server closes); a
child process reads it through RemoteIndex.read and reports its peak RSS (resource.getrusage) and
how it ended.

    PYTHONPATH=src python benchmarks/bench_page_memory.py [SIZE_MB [html]]
Run it with another checkout's src on PYTHONPATH for the figure before a change.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CHILD = """
import resource, sys, time
from shipyard.config import Repository
from shipyard.index.remote import RemoteIndex
from shipyard.tools.network import Network
base = sys.argv[1]
repo = Repository("hostile", base + "/legacy/", base + "/simple/", needs_auth=False)
started = time.monotonic()
try:
    listing = RemoteIndex(repo, None, Network(retries=0)).read("tiny-pkg")
    ended = f"read {len(listing.files)} files"
except Exception as exc:
    ended = f"{type(exc).__name__}: {exc}"[:120]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"peak RSS {peak} MB in {time.monotonic() - started:.1f} s; {ended}")
"""


def html_page(path: Path, megabytes: int) -> None:
    with path.open("w") as out:
        out.write("<!DOCTYPE html><html><body>\n")
        i = 0
        while out.tell() < megabytes * 1024 * 1024:
            name = f"tiny_pkg-0.0.{i}.tar.gz"
            out.write(f'<a href="{name}#sha256={"0" * 64}">{name}</a><br>\n')
            i += 1
        out.write("</body></html>\n")


def page(path: Path, megabytes: int) -> None:
    entry = {"filename": "", "url": "", "hashes": {"sha256": "0" * 64}, "size": 1000, "yanked": False}
    with path.open("w") as out:
        out.write('{"meta": {"api-version": "1.1"}, "name": "tiny-pkg", "files": [')
        i = 0
        while out.tell() < megabytes * 1024 * 1024:
            name = f"tiny_pkg-0.0.{i}.tar.gz"
            out.write(("," if i else "") + json.dumps({**entry, "filename": name, "url": name}))
            i += 1
        out.write("]}")


def serve(path: Path, ctype: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            if self.path.startswith("/length/"):
                self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()
            try:
                with path.open("rb") as f:
                    shutil.copyfileobj(f, self.wfile, 1 << 20)
            except OSError:
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    html = sys.argv[2:] == ["html"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page"
        (html_page if html else page)(path, megabytes)
        server, base = serve(path, "text/html" if html else "application/vnd.pypi.simple.v1+json")
        for kind in ("length", "close"):
            child = subprocess.run(
                [sys.executable, "-c", CHILD, f"{base}/{kind}"], capture_output=True, text=True, check=False
            )
            said = (child.stdout or child.stderr).strip()
            print(f"{megabytes} MB {'HTML' if html else 'JSON'} page, {kind}: {said}")
        server.shutdown()


if __name__ == "__main__":
    main()
