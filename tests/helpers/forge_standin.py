"""A local stand-in for GitHub's REST API and GitLab's Releases API on 127.0.0.1.

No real forge can run here. It answers the two calls of each as their documentation describes them,
and checks every request's shape: GitHub (docs.github.com/rest/releases): `GET
/repos/OWNER/REPO/releases/tags/TAG` (200 or 404), `POST /repos/OWNER/REPO/releases` with a JSON
body of tag_name, name, body (201), headers `Authorization: Bearer TOKEN`, `Accept:
application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`. GitLab (docs.gitlab.com/api/releases):
`GET /projects/ID/releases/TAG` (200 or 404), `POST /projects/ID/releases` with tag_name, name,
description (201, or 409 when it exists), authenticated by `JOB-TOKEN` or `PRIVATE-TOKEN`. Whatever
it finds wrong is answered 400 and kept in `problems`; `refuse` makes it answer every call with
that status and a message echoing the credential it got, as a careless server might (or `message`);
`page` is the html_url (GitHub) or _links.self (GitLab) of a release made; `trickle` answers every
call with a body sent one byte every half second, never finished.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.helpers.serving import serving

GITHUB_TOKEN = "ghs_standInInstallationToken0123456789abcd"  # shipyard: fake-token
GITLAB_JOB_TOKEN = "glcbt-64_standInJobToken0123456789abcd"  # shipyard: fake-token
GITLAB_TOKEN = "glpat-standInPrivateToken0123456789ab"  # shipyard: fake-token
GITHUB_FIELDS = {"tag_name", "name", "body", "prerelease"}
GITLAB_FIELDS = {"tag_name", "name", "description"}


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class Forge:
    url: str  # http://127.0.0.1:PORT
    kind: str  # "github" or "gitlab"
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)  # tag -> the release made
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refuse: int | None = None  # answer every call with this status
    redirect_to: str | None = None  # answer every call with a 302 there
    race: bool = False  # GET finds no release, as if another job made it just after we looked
    message: str | None = None  # what a refusal says (default: it echoes the credential)
    page: str | None = None  # the page of a release made, as the forge names it
    trickle: bool = False  # a body of one byte every half second, without end

    def paths(self) -> list[str]:
        return [f"{c.method} {c.path}" for c in self.calls]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
        pass

    def _send(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        for _ in range(240):  # two minutes at most: the client is gone long before
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.5)

    def _problem(self, text: str) -> None:
        self.server.state.problems.append(text)
        self._send(400, {"message": text})

    def do_GET(self) -> None:
        self._handle(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._problem(f"POST body is not JSON: {raw[:80]!r}")
            return
        self._handle(body if isinstance(body, dict) else {"": body})

    def _handle(self, body: dict[str, Any] | None) -> None:
        state = self.server.state
        headers = {k.lower(): v for k, v in self.headers.items()}
        state.calls.append(Call(self.command, self.path, headers, body))
        if state.redirect_to is not None:
            self._send(302, {}, {"Location": state.redirect_to + self.path})
            return
        if state.trickle:
            self._trickle()
            return
        if state.refuse is not None:
            got = headers.get("authorization") or headers.get("job-token") or headers.get("private-token")
            said = state.message or f"Resource not accessible with credential {got}"
            self._send(state.refuse, {"message": said})
            return
        if state.kind == "github":
            self._github(headers, body)
        else:
            self._gitlab(headers, body)

    def _github(self, headers: dict[str, str], body: dict[str, Any] | None) -> None:
        state = self.server.state
        wanted = {
            "authorization": f"Bearer {GITHUB_TOKEN}",
            "accept": "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
        }
        for key, value in wanted.items():
            if headers.get(key) != value:
                self._problem(f"header {key}: {headers.get(key)!r}, not {value!r}")
                return
        prefix = "/repos/owner/proj/releases"
        if self.command == "GET" and self.path.startswith(f"{prefix}/tags/"):
            tag = unquote(self.path[len(f"{prefix}/tags/") :])
            if tag in state.releases and not state.race:
                self._send(200, state.releases[tag])
            else:
                self._send(404, {"message": "Not Found"})
        elif self.command == "POST" and self.path == prefix:
            assert body is not None
            if headers.get("content-type") != "application/json":
                self._problem(f"content-type {headers.get('content-type')!r}")
            elif set(body) - GITHUB_FIELDS or not {"tag_name", "name", "body"} <= set(body):
                self._problem(f"body fields {sorted(body)}")
            elif not all(isinstance(body[k], str) for k in ("tag_name", "name", "body")):
                self._problem(f"body types {body}")
            elif body["tag_name"] in state.releases:  # GitHub's answer to a second release of a tag
                error = {"resource": "Release", "code": "already_exists", "field": "tag_name"}
                self._send(422, {"message": "Validation Failed", "errors": [error]})
            else:
                tag = body["tag_name"]
                page = state.page or f"https://github.com/owner/proj/releases/tag/{tag}"
                made = {**body, "id": 1, "html_url": page}
                state.releases[tag] = made
                self._send(201, made)
        else:
            self._problem(f"no such call: {self.command} {self.path}")

    def _gitlab(self, headers: dict[str, str], body: dict[str, Any] | None) -> None:
        state = self.server.state
        job, private = headers.get("job-token"), headers.get("private-token")
        if (job, private) not in ((GITLAB_JOB_TOKEN, None), (None, GITLAB_TOKEN)):
            self._problem(f"credential headers: JOB-TOKEN {job!r}, PRIVATE-TOKEN {private!r}")
            return
        if "authorization" in headers:
            self._problem("an Authorization header besides the token header")
            return
        prefix = "/projects/42/releases"
        if self.command == "GET" and self.path.startswith(f"{prefix}/"):
            tag = unquote(self.path[len(f"{prefix}/") :])
            if tag in state.releases and not state.race:
                self._send(200, state.releases[tag])
            else:
                self._send(404, {"message": "404 Not found"})
        elif self.command == "POST" and self.path == prefix:
            assert body is not None
            if headers.get("content-type") != "application/json":
                self._problem(f"content-type {headers.get('content-type')!r}")
            elif set(body) != GITLAB_FIELDS or not all(isinstance(v, str) for v in body.values()):
                self._problem(f"body {body}")
            elif body["tag_name"] in state.releases:
                self._send(409, {"message": "Release already exists"})
            else:
                tag = body["tag_name"]
                link = state.page or f"https://gitlab.example/group/proj/-/releases/{tag}"
                state.releases[tag] = made = {**body, "_links": {"self": link}}
                self._send(201, made)
        else:
            self._problem(f"no such call: {self.command} {self.path}")


class _Server(ThreadingHTTPServer):
    state: Forge


@contextmanager
def running(kind: str) -> Iterator[Forge]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = Forge(f"http://127.0.0.1:{server.server_address[1]}", kind)
    with serving(server):
        yield server.state


def github_env(forge: Forge) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": "owner/proj",
        "GITHUB_API_URL": forge.url,
    }


def gitlab_env(forge: Forge, *, private: bool = False) -> dict[str, str]:
    env = {"GITLAB_CI": "true", "CI_JOB_TOKEN": GITLAB_JOB_TOKEN, "CI_PROJECT_ID": "42"}
    env["CI_API_V4_URL"] = forge.url
    if private:
        env["GITLAB_TOKEN"] = GITLAB_TOKEN
    return env
