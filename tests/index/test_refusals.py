"""An index's refusal is shown with what its body says (trimmed, reduced to text, redacted): a real
pypiserver's, and a hostile server's that explains itself in HTML with scripts, escapes and secrets."""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.dists import identify
from shipyard.errors import IndexError_
from shipyard.index.base import Credential
from shipyard.index.open import open_index
from shipyard.secrets import Secret
from shipyard.tools.network import Network
from tests.helpers.indexes import HOST, TestIndex
from tests.helpers.projects import ShipyardCLI, make_project
from tests.helpers.serving import serving

pytestmark = pytest.mark.integration
PASSWORD = "hostile-echo-password-31"
NO_RETRIES = Network(retries=0, retry_timeout=0.0)
REASON = "The classifier 'Foo :: Bar' is not a valid classifier."
FILLER = "Details follow. " * 300  # 4800 characters: more than the line and the detail take


def make_wheel(folder: Path, name: str = "tiny_pkg", version: str = "1.0.0") -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{name}/__init__.py", "X = 1\n")
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        whl.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        whl.writestr(f"{info}/RECORD", "")
    return path


def test_a_real_pypiserver_refusal_says_why(tmp_path: Path, fresh_pypiserver: TestIndex) -> None:
    index = fresh_pypiserver
    repo = Repository("staging", index.upload_url, index.simple_url)
    cred = Credential(index.username, Secret(index.password), "test", index.upload_url)
    dist = identify(make_wheel(tmp_path))
    remote = open_index(repo, cred, NO_RETRIES)
    assert remote.upload(dist, lambda done, total: None)
    with pytest.raises(IndexError_) as caught:
        remote.upload(dist, lambda done, total: None)  # not read first: pypiserver refuses the overwrite
    message = caught.value.message
    assert message.startswith(f"staging refused {dist.filename}: HTTP 409 Conflict - the index says: ")
    assert f"Package '{dist.filename}' already exists!" in message and "--overwrite" in message
    assert "<" not in message and "Error: 409 Conflict" in message  # bottle's HTML, as text
    assert caught.value.detail.startswith("the index's answer (HTTP 409): ")


class _Hostile(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, code: int, kind: str, body: str) -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if "blocked" in self.path:
            self._send(403, "application/json", json.dumps({"message": "IP 10.1.2.3 is blocked by policy"}))
        else:
            self._send(404, "text/plain", "no such project")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = (
            "<html><head><title>ignored title</title><style>body { color: red }</style>"
            "<script>alert('pwned')</script></head><body><h1>Upload refused</h1>"
            f"<p>{REASON}</p><p>\x1b[2J\x1b[31mYour password {PASSWORD} is wrong\u202e</p>"
            f"<pre>{FILLER}</pre></body></html>"
        )
        self._send(400, "text/html; charset=utf-8", body)


@contextlib.contextmanager
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _Hostile)
    with serving(server):
        yield f"http://{HOST}:{server.server_address[1]}/"


def test_a_hostile_refusal_is_shown_as_trimmed_redacted_text(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    with hostile() as url:
        tool = f'[tool.shipyard]\nstages = ["evil"]\n\n[tool.shipyard.repositories.evil]\nupload-url = "{url}"\nsimple-url = "{url}simple/"\n'
        root = make_project(tmp_path / "proj", tool=tool)
        env = {"SHIPYARD_EVIL_USERNAME": "me", "SHIPYARD_EVIL_PASSWORD": PASSWORD}
        plain = shipyard("publish", "-C", str(root), str(wheel), env=env)
        verbose = shipyard("publish", "-C", str(root), "-v", str(wheel), env=env)
    assert plain.code == verbose.code == 1, plain.text
    line = plain.err.strip().splitlines()[-1]
    assert line.startswith(
        f"error: evil refused {wheel.name}: HTTP 400 Bad Request - the index says: Upload refused "
    )
    assert REASON in line and "Your password *** is wrong" in line
    assert len(line) < 500 and line.endswith("…")
    for run in (plain, verbose):
        assert PASSWORD not in run.text and "\x1b" not in run.text and "\u202e" not in run.text
        assert "alert" not in run.text and "color: red" not in run.text and "ignored title" not in run.text
    detail = [x for x in verbose.err.splitlines() if x.startswith("the index's answer (HTTP 400): ")]
    assert len(detail) == 1 and REASON in detail[0] and 1900 < len(detail[0]) < 2100, verbose.err
    assert "the index's answer" not in plain.err


def test_a_refused_read_says_why(tmp_path: Path) -> None:
    with hostile() as url:
        repo = Repository("evil", url, f"{url}blocked/")
        with pytest.raises(IndexError_) as caught:
            open_index(repo, None, NO_RETRIES).read("tiny-pkg")
    assert caught.value.message == (
        "evil refused to list tiny-pkg (HTTP 403): check its credential - the index says: "
        "IP 10.1.2.3 is blocked by policy"
    )
