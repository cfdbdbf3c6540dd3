"""A PEP 691 + PEP 740 index stand-in on 127.0.0.1: the one place no real counterpart runs here (no
index that takes attestations and serves provenance can be started offline).

It serves `/simple/<project>/` as PEP 691 JSON whose file entries carry a `provenance` URL where it
holds one, the files under `/files/`, the provenance objects under PyPI's
`/integrity/<project>/<version>/<file>/provenance`, and takes uploads at `/legacy/` as warehouse
does: the multipart form is parsed, `sha256_digest` must be the content's, and an `attestations`
field must be a JSON list of PEP 740 attestations whose subject is the uploaded file. Such an
upload is then served with a provenance object made of those attestations and `publisher`, as
PyPI makes it. Whatever it finds wrong is answered 400 and kept in `problems`.

`status` makes it a PEP 792 index (simple API 1.4): the project page carries that project status
(`project-status` in JSON, `pypi:project-status` meta tags in HTML with `html=True`), a quarantined
project's page lists no files, and an upload to an archived or quarantined project is refused as
PyPI refuses it.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from pypi_attestations import Attestation

from tests.helpers.serving import serving

INTEGRITY_TYPE = "application/vnd.pypi.integrity.v1+json"


def release_of(filename: str) -> tuple[str, str]:
    if filename.endswith(".whl"):
        name, version, *_ = parse_wheel_filename(filename)
    else:
        name, version = parse_sdist_filename(filename)
    return canonicalize_name(name), str(version)


@dataclass
class Upload:
    filename: str
    fields: dict[str, list[str]]
    attestations: list[dict[str, Any]] | None  # the parsed `attestations` field, if sent


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT/
    publisher: dict[str, Any] = field(default_factory=dict)  # PEP 740 publisher of uploaded attestations
    takes_attestations: bool = True  # False: an upload carrying them is refused, as PyPI refuses some
    files: dict[str, bytes] = field(default_factory=dict)
    provenance: dict[str, bytes] = field(default_factory=dict)  # filename -> provenance JSON
    uploads: list[Upload] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    status: dict[str, str] | None = None  # PEP 792: {"status": ..., "reason": ...} on every project page
    html: bool = False  # serve project pages as PEP 503 HTML (the status in meta tags)
    pages: int = 0  # project pages served

    @property
    def upload_url(self) -> str:
        return f"{self.url}legacy/"

    @property
    def simple_url(self) -> str:
        return f"{self.url}simple/"

    def add(self, path: Path, provenance: bytes | None = None, as_name: str | None = None) -> None:
        name = as_name or path.name
        self.files[name] = path.read_bytes()
        if provenance is not None:
            self.provenance[name] = provenance


def provenance_of(attestations: list[dict[str, Any]], publisher: dict[str, Any]) -> bytes:
    """A PEP 740 provenance object: one bundle of `attestations` under `publisher`."""
    bundle = {"publisher": publisher, "attestations": attestations}
    return json.dumps({"version": 1, "attestation_bundles": [bundle]}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: bytes, ctype: str = "text/plain") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _problem(self, text: str) -> None:
        self.server.state.problems.append(text)
        self._send(400, text.encode())

    def do_GET(self) -> None:
        state, path = self.server.state, unquote(urlsplit(self.path).path)
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "simple":
            self._project(canonicalize_name(parts[1]))
        elif len(parts) == 2 and parts[0] == "files" and parts[1] in state.files:
            self._send(200, state.files[parts[1]], "application/octet-stream")
        elif len(parts) == 5 and parts[0] == "integrity" and parts[4] == "provenance":
            if self.headers.get("Accept") != INTEGRITY_TYPE:
                self._problem(f"provenance asked for as {self.headers.get('Accept')}, not {INTEGRITY_TYPE}")
            elif parts[3] in state.provenance:
                self._send(200, state.provenance[parts[3]], INTEGRITY_TYPE)
            else:
                self._send(404, b"no provenance")
        else:
            self._send(404, b"not found")

    def _project(self, project: str) -> None:
        state, entries = self.server.state, []
        for filename, data in sorted(state.files.items()):
            name, version = release_of(filename)
            if name != project:
                continue
            entry: dict[str, Any] = {
                "filename": filename,
                "url": f"../../files/{filename}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            }
            if filename in state.provenance:
                entry["provenance"] = f"{state.url}integrity/{name}/{version}/{filename}/provenance"
            entries.append(entry)
        status = state.status
        if status is not None and status.get("status") == "quarantined":
            entries = []  # PEP 792: a quarantined project's files are not offered
        elif not entries:
            self._send(404, b"no such project")
            return
        state.pages += 1
        if state.html:
            self._send(200, _html_page(project, entries, status), "text/html")
            return
        page: dict[str, Any] = {"meta": {"api-version": "1.4"}, "name": project, "files": entries}
        page["versions"] = []
        if status is not None:
            page["project-status"] = status
        self._send(200, json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/legacy/":
            self._send(404, b"not found")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        head = f"Content-Type: {self.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        if not isinstance(message, EmailMessage) or not message.is_multipart():
            self._problem("the upload is not multipart/form-data")
            return
        fields: dict[str, list[str]] = {}
        content: tuple[str, bytes] | None = None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            if name == "content":
                content = (part.get_filename() or "", payload)
            else:
                fields.setdefault(name, []).append(payload.decode())
        if content is None:
            self._problem("the upload has no content part")
            return
        self._take(fields, *content)

    def _take(self, fields: dict[str, list[str]], filename: str, data: bytes) -> None:
        state = self.server.state
        if state.status is not None and state.status.get("status") in ("archived", "quarantined"):
            self._problem(f"an upload of {filename} to a project that is {state.status['status']}")
            return
        if fields.get("sha256_digest") != [hashlib.sha256(data).hexdigest()]:
            self._problem(f"sha256_digest of {filename} is not its content's")
            return
        raw = fields.get("attestations")
        attestations = None
        if raw is not None:
            if not state.takes_attestations:
                self._send(400, b"Attestations are only supported when using Trusted Publishing")
                return
            attestations = self._attestations(raw, filename, hashlib.sha256(data).hexdigest())
            if attestations is None:
                return
        state.uploads.append(Upload(filename, fields, attestations))
        state.files[filename] = data
        if attestations:
            state.provenance[filename] = provenance_of(attestations, state.publisher)
        self._send(200, b"OK")

    def _attestations(self, raw: list[str], filename: str, sha256: str) -> list[dict[str, Any]] | None:
        if len(raw) != 1:
            self._problem(f"{len(raw)} attestations fields, wanted one JSON list")
            return None
        try:
            items = json.loads(raw[0])
        except ValueError:
            self._problem("the attestations field is not JSON")
            return None
        if not isinstance(items, list) or not items:
            self._problem("the attestations field is not a non-empty JSON list")
            return None
        for item in items:
            statement = Attestation.model_validate(item).statement
            if statement["subject"] != [{"name": filename, "digest": {"sha256": sha256}}]:
                self._problem(f"an attestation of {statement['subject']} came with {filename}")
                return None
        return items


def _html_page(project: str, entries: list[dict[str, Any]], status: dict[str, str] | None) -> bytes:
    """A PEP 503 page, with PEP 792's meta tags when the project has a status."""
    meta = ['<meta name="pypi:repository-version" content="1.4">']
    if status is not None:
        meta.append(f'<meta name="pypi:project-status" content="{html.escape(status["status"])}">')
        if "reason" in status:
            meta.append(f'<meta name="pypi:project-status-reason" content="{html.escape(status["reason"])}">')
    links = [
        f'<a href="{html.escape(e["url"])}#sha256={e["hashes"]["sha256"]}">{html.escape(e["filename"])}</a><br>'
        for e in entries
    ]
    head = f"<!DOCTYPE html><html><head>{''.join(meta)}<title>Links for {project}</title></head>"
    return f"{head}<body>{''.join(links)}</body></html>".encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: Served


@contextmanager
def running(**options: Any) -> Iterator[Served]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = Served(f"http://127.0.0.1:{server.server_address[1]}/", **options)
    with serving(server):
        yield server.state
