"""A hostile or broken index answers with pages that are not what PEP 691 says: every one ends as
one error line (exit 1), never an internal error, and nothing is uploaded."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.helpers.projects import ShipyardCLI, make_project
from tests.helpers.serving import serving

pytestmark = pytest.mark.integration

PAGES = {
    "files-int": '{"files": 5}',
    "files-null": '{"files": null}',
    "hashes-list": '{"files": [{"filename": "tiny_pkg-1.0.0.tar.gz", "hashes": ["sha256", "ab"]}]}',
    "url-int": '{"files": [{"filename": "tiny_pkg-1.0.0.tar.gz", "url": 7}]}',
    "deep": "[" * 100_000 + "]" * 100_000,
}


class _Hostile(http.server.BaseHTTPRequestHandler):
    page: ClassVar[str] = ""
    url: ClassVar[str] = ""
    posts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        body = self.page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.posts.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[type[_Hostile]]:
    handler: type[_Hostile] = type("Handler", (_Hostile,), {"posts": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with serving(server):
        handler.url = f"http://127.0.0.1:{server.server_address[1]}/"
        yield handler


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_a_malformed_page_is_one_error_line_and_nothing_is_uploaded(
    kind: str, shipyard: ShipyardCLI, tmp_path: Path, hostile: type[_Hostile]
) -> None:
    root = make_project(tmp_path / "proj")
    assert shipyard("build", "-C", str(root)).code == 0
    hostile.page = PAGES[kind]
    url = hostile.url
    run = shipyard(
        "publish",
        "--repository-url",
        f"{url}legacy/",
        "--simple-url",
        f"{url}simple/",
        "-C",
        str(root),
        env={"SHIPYARD_CUSTOM_TOKEN": "pypi-a-token-long-enough-for-the-test"},
    )
    assert run.code == 1, run.text
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is not a package index page" in errors[0], run.err
    assert "internal error" not in run.err and "Traceback" not in run.err
    assert hostile.posts == []
