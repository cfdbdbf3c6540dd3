"""What a server says reaches the terminal inert (issue 21, point 10): an index's HTTP reason
phrase, a PEP 691 `yanked` reason, a trusted-publishing refusal's `errors`, a forge's `message`
and its release page URL each carry OSC title and hyperlink sequences (ESC ] ... BEL, ESC ] 8 ...
ESC \\), a clear-screen (ESC [ 2 J) and a C1 CSI (0x9b). Through the real CLI, none of them
reaches stdout or stderr raw: each is shown as its escape, and the rest of the line stands.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import forge_standin, oidc_standin
from tests.helpers.indexes import HOST, TestIndex
from tests.helpers.projects import Run, ShipyardCLI, make_project, tag
from tests.helpers.serving import serving

pytestmark = pytest.mark.integration

TITLE = "\x1b]0;owned\x07"  # OSC 0: the window title
LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # OSC 8: a hyperlink
CLEAR = "\x1b[2J\x9b31m"  # CSI 2 J clears the screen; 0x9b is the one-byte CSI
HOSTILE = f"{TITLE}Bad {LINK}{CLEAR}"
SHOWN = "\\x1b]0;owned\\x07Bad \\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\\\x1b[2J\\x9b31m"
WHEEL = "tiny_pkg-1.0.0-py3-none-any.whl"
ODD = f"tiny_pkg-3.0.0-py3-none-any{TITLE}.whl"  # a file name the index makes up


def assert_inert(run: Run, shown: str = SHOWN) -> None:
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in run.out and raw not in run.err, run.text
    assert shown in run.text, run.text


class _Index(BaseHTTPRequestHandler):
    """An index that refuses every upload with a hostile reason phrase and lists tiny-pkg 1.0.0's
    wheel (PEP 691) as yanked for a hostile reason."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, code: int, kind: str, body: bytes, reason: str | None = None) -> None:
        self.send_response(code, reason)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/simple/tiny-pkg":
            self._send(404, "text/plain", b"no such project")
            return
        entry = {"filename": WHEEL, "url": WHEEL, "hashes": {"sha256": "0" * 64}, "yanked": HOSTILE}
        odd = {"filename": ODD, "url": "odd.whl", "hashes": {"sha256": "0" * 64}}  # its bytes: 404
        page = {
            "meta": {"api-version": "1.1"},
            "name": "tiny-pkg",
            "versions": ["1.0.0"],
            "files": [entry, odd],
        }
        self._send(200, "application/vnd.pypi.simple.v1+json", json.dumps(page).encode())

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._send(400, "text/plain", b"", reason=HOSTILE)


@contextmanager
def hostile_index() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _Index)
    with serving(server):
        yield f"http://{HOST}:{server.server_address[1]}/"


def evil_project(tmp_path: Path, url: str) -> Path:
    tool = (
        '[tool.shipyard]\nstages = ["evil"]\n\n[tool.shipyard.repositories.evil]\n'
        f'upload-url = "{url}"\nsimple-url = "{url}simple/"\n'
    )
    return make_project(tmp_path / "proj", tool=tool, with_tests=False)


EVIL_LOGIN = {"SHIPYARD_EVIL_USERNAME": "me", "SHIPYARD_EVIL_PASSWORD": "evil-index-password-7"}


def test_an_index_reason_phrase_is_shown_escaped(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    name = "tiny_pkg-4.0.0-py3-none-any.whl"  # not listed: it is uploaded, and refused
    wheel, info = tmp_path / name, "tiny_pkg-4.0.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr("tiny_pkg/__init__.py", "X = 1\n")
        whl.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: tiny-pkg\nVersion: 4.0.0\n")
        whl.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        whl.writestr(f"{info}/RECORD", "")
    with hostile_index() as url:
        run = shipyard("publish", "-C", str(evil_project(tmp_path, url)), str(wheel), env=EVIL_LOGIN)
    assert run.code == 1, run.text
    assert run.err.strip().splitlines()[-1] == f"error: evil refused {name}: HTTP 400 {SHOWN}"
    assert_inert(run)


def test_a_yanked_reason_is_shown_escaped(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    with hostile_index() as url:
        root = evil_project(tmp_path, url)
        run = shipyard(
            "verify", "--on", "evil", "--version", "1.0.0", "--no-install", "-C", str(root), env=EVIL_LOGIN
        )
    assert run.code == 1, run.text
    assert run.err.strip().splitlines()[-1] == f"error: {WHEEL} is yanked on evil: {SHOWN}"
    assert_inert(run)


def test_a_trusted_publishing_refusal_is_shown_escaped(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    with oidc_standin.running(publisher_known=False, refusal=HOSTILE) as standin:
        tool = (
            '[tool.shipyard]\nstages = ["staging"]\n\n[tool.shipyard.repositories.staging]\n'
            f'upload-url = "{fresh_pypiserver.upload_url}"\nsimple-url = "{fresh_pypiserver.simple_url}"\n'
            f'oidc-url = "{standin.url}"\n'
        )
        root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
        env = {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": standin.token_request_url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc_standin.REQUEST_TOKEN,
        }
        assert shipyard("build", "-C", str(root)).code == 0  # the mint comes at the first upload
        run = shipyard("publish", "--to", "staging", "--no-attest", "-C", str(root), env=env)
        assert standin.problems == []
    assert run.code == 2, run.text
    [line] = run.err.strip().splitlines()
    assert f"(HTTP 422): invalid-publisher: {SHOWN}; check the trusted publisher" in line
    assert_inert(run)


def forge_release(shipyard: ShipyardCLI, tmp_path: Path, hub: forge_standin.Forge) -> Run:
    root = make_project(tmp_path / "proj", with_tests=False)
    tag(root, "v1.0.0")
    return shipyard("forge-release", "--tag", "v1.0.0", "-C", str(root), env=forge_standin.github_env(hub))


def test_a_forge_message_is_shown_escaped(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    with forge_standin.running("github") as hub:
        hub.refuse, hub.message = 403, HOSTILE
        run = forge_release(shipyard, tmp_path, hub)
    assert run.code == 0, run.text  # a forge's failure is a warning
    [line] = run.err.strip().splitlines()
    assert line.startswith(
        f"warning: no GitHub release of v1.0.0: GitHub refused to read the release of v1.0.0 (HTTP 403 Forbidden: {SHOWN})"
    )
    assert_inert(run)


def test_a_forge_release_page_is_shown_escaped(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    page = f"https://github.com/owner/proj/releases/tag/v1.0.0{HOSTILE}"
    with forge_standin.running("github") as hub:
        hub.page = page
        run = forge_release(shipyard, tmp_path, hub)
        assert hub.problems == [] and "v1.0.0" in hub.releases
    assert run.code == 0, run.text
    shown_page = f"https://github.com/owner/proj/releases/tag/v1.0.0{SHOWN}"
    assert f"    made the GitHub release of v1.0.0 ({shown_page})" in run.out.splitlines()
    assert_inert(run)


def test_a_file_name_the_index_makes_up_is_shown_escaped(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """No seam of the library knows that a file name is the index's text: the CLI's second wall
    escapes what any printed line carries."""
    with hostile_index() as url:
        root = evil_project(tmp_path, url)
        run = shipyard(
            "verify", "--on", "evil", "--version", "3.0.0", "--no-install", "-C", str(root), env=EVIL_LOGIN
        )
    assert run.code == 1, run.text
    odd = "tiny_pkg-3.0.0-py3-none-any\\x1b]0;owned\\x07.whl"
    assert run.err.strip().splitlines()[-1].startswith(f"error: evil does not deliver {odd}: HTTP 404")
    assert_inert(run, odd)
