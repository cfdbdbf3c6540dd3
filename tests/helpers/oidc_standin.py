"""A local stand-in for trusted publishing on 127.0.0.1: the CI's token endpoint and the index's OIDC API.

The one mock in the suite: no real CI provider can run here. It plays GitHub Actions' ID-token
endpoint (`GET /ci/token?api-version=2.0&audience=AUD`, bearer-authenticated, `{"value": JWT}`) and
the index's three endpoints (`GET /_/oidc/audience`, `POST /_/oidc/mint-token`, and PyPI's
`POST /_/oidc/burn-token` of warehouse#20197: `{"token": MINTED}`, answered 202 whatever it did),
and checks every request's shape. `calls` is every request in the order they came; a project's
test can add `GET /marker` to it, to show what came before and after the test-install. Whatever it finds wrong is answered with an error and kept in `problems`, so a
test that asserts `problems == []` proves the client spoke the protocol as the real servers expect.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.serving import serving

AUDIENCE = "standin-pypi"
SIGSTORE = "sigstore"  # the audience of the token an attestation is signed with
REQUEST_TOKEN = "ghs-request-token-0123456789"  # ACTIONS_ID_TOKEN_REQUEST_TOKEN


def jwt(issuer: str, audience: str | list[str], jti: str = "") -> str:
    """JWT-shaped (header.claims.signature), with the `aud` claim `id` checks: what GitHub hands out
    for an audience, and what GitLab puts in <AUD>_ID_TOKEN (a list: a token for several). `jti`:
    the token's own id (GitHub's second and later tokens for an audience carry one)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    claims = json.dumps(
        {"iss": issuer, "aud": audience, "repo": "shipyard"} | ({"jti": jti} if jti else {})
    ).encode()
    return ".".join(
        [
            part(b'{"alg":"RS256"}'),
            part(claims),
            part(
                f"signature-{issuer}-{'+'.join(audience) if isinstance(audience, list) else audience}".encode()
            ),
        ]
    )


GITHUB_JWT = jwt("github", AUDIENCE)
GITLAB_JWT = jwt("gitlab", AUDIENCE)
MINTED = (
    "pypi-AgEIcHlwaS5vcmcCJGI2YjBmZDU0LW1pbnRlZC1ieS10aGUtc3RhbmQtaW4tMDEyMzQ1Njc4OQ"  # shipyard: fake-token
)
# minted with an `expires` already past (expired_first), or fresh but unknown to the index (wrong_token)
EXPIRED = (
    "pypi-AgEIcHlwaS5vcmcCJGV4cGlyZWQtbWludGVkLWJ5LXRoZS1zdGFuZC1pbi0wMTIzNDU2Nzg5"  # shipyard: fake-token
)
WRONG = (
    "pypi-AgEIcHlwaS5vcmcCJHdyb25nLW1pbnRlZC1ieS10aGUtc3RhbmQtaW4tMDEyMzQ1Njc4OTAx"  # shipyard: fake-token
)


@dataclass
class StandIn:
    url: str  # http://127.0.0.1:PORT/
    audience: str = AUDIENCE  # what /_/oidc/audience answers (PyPI: pypi, TestPyPI: testpypi)
    offers_oidc: bool = True  # False: an index without trusted publishing (404 on the audience)
    publisher_known: bool = True  # False: the mint answers 422 invalid-publisher
    refusal: str | None = None  # what that 422 says (default: it quotes the token it got)
    burns: int = 202  # what burn-token answers (404: an index without it; 500: a failing one)
    expired_first: int = 0  # this many mints give EXPIRED, with an `expires` in the past
    wrong_token: bool = False  # mints give WRONG, fresh: the index refuses it, not for running out
    problems: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # "GET /_/oidc/audience", ... in order
    minted: list[str] = field(default_factory=list)  # every token minted, in order
    burnt: list[str] = field(default_factory=list)  # every token a burn request named, in order
    issued: list[tuple[str, str]] = field(default_factory=list)  # every (id token, audience) issued
    traded: list[str] = field(default_factory=list)  # every id token minted from: PyPI takes one once

    @property
    def token_request_url(self) -> str:
        """ACTIONS_ID_TOKEN_REQUEST_URL: GitHub's carries a query already."""
        return f"{self.url}ci/token?api-version=2.0"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _problem(self, code: int, text: str) -> None:
        self.server.state.problems.append(text)
        self._send(code, {"errors": [{"code": "stand-in", "description": text}]})

    def do_GET(self) -> None:
        state, parts = self.server.state, urlsplit(self.path)
        state.calls.append(f"GET {parts.path}")
        if parts.path == "/_/oidc/audience":
            if not state.offers_oidc:
                self._send(404, {"message": "Not Found"})
            else:
                self._send(200, {"audience": state.audience})
        elif parts.path == "/ci/token":
            self._issue(parse_qs(parts.query))
        elif parts.path == "/marker":
            self._send(200, {})
        else:
            self._problem(404, f"unexpected GET {self.path}")

    def _issue(self, query: dict[str, list[str]]) -> None:
        if self.headers.get("Authorization") != f"bearer {REQUEST_TOKEN}":
            self._problem(403, "token request without the job's bearer token")
        elif query.get("api-version") != ["2.0"] or query.get("audience") not in (
            [self.server.state.audience],
            [SIGSTORE],
        ):
            self._problem(400, f"token request with query {query}, wanted api-version=2.0 and an audience")
        else:
            state, audience = self.server.state, query["audience"][0]
            state.calls[-1] += f"?audience={audience}"
            # a new token each time, as GitHub's: the first is jwt("github", audience) (GITHUB_JWT)
            jti = str(sum(1 for _, a in state.issued if a == audience) or "")
            token = jwt("github", audience, jti)
            state.issued.append((token, audience))
            self._send(200, {"count": 1, "value": token})

    def do_POST(self) -> None:
        state, path = self.server.state, urlsplit(self.path).path
        state.calls.append(f"POST {path}")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            body = None
        if path == "/_/oidc/burn-token":
            self._burn(body)
        elif path != "/_/oidc/mint-token":
            self._problem(404, f"unexpected POST {self.path}")
        else:
            self._mint(body)

    def _burn(self, body: Any) -> None:
        state = self.server.state
        if state.burns == 404:
            self._send(404, {"message": "Not Found"})
        elif not self.headers.get("Content-Type", "").startswith("application/json"):
            self._problem(400, "burn-token body is not sent as application/json")
        elif not isinstance(body, dict) or set(body) != {"token"} or body["token"] not in state.minted:
            self._problem(400, f"burn-token body must be exactly {{'token': MINTED}}, got {body!r}")
        else:
            state.burnt.append(body["token"])
            self._send(state.burns, {"message": "Accepted", "errors": []})

    def _mint(self, body: Any) -> None:
        state = self.server.state
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self._problem(422, "mint-token body is not sent as application/json")
        elif not isinstance(body, dict) or set(body) != {"token"}:
            self._problem(
                422, f"mint-token body must be exactly {{'token': JWT}}, got keys {sorted(body or [])}"
            )
        elif body["token"] not in [t for t, a in state.issued if a == state.audience] + [
            jwt("gitlab", state.audience)
        ]:
            self._problem(422, f"mint-token got a token the CI never issued for audience {state.audience}")
        elif body["token"] in state.traded:  # PyPI's check of the token's jti: "already used"
            self._send(
                422,
                {"errors": [{"code": "invalid-reuse-token", "description": "invalid token: already used"}]},
            )
        elif not state.publisher_known:
            # like PyPI, say what is wrong; this one even quotes the token, which the client must mask
            self._send(
                422,
                {
                    "message": "Token request failed",
                    "errors": [
                        {
                            "code": "invalid-publisher",
                            "description": state.refusal
                            or f"valid token, but no corresponding publisher\n(token {body['token']})",
                        }
                    ],
                },
            )
        else:
            state.traded.append(body["token"])
            token, expires = MINTED, int(time.time()) + 900  # PyPI's: 15 minutes
            if len(state.minted) < state.expired_first:
                token, expires = EXPIRED, int(time.time()) - 120
            elif state.wrong_token:
                token = WRONG
            state.minted.append(token)
            self._send(200, {"success": True, "token": token, "expires": expires})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StandIn


@contextmanager
def running(**options: Any) -> Iterator[StandIn]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = StandIn(f"http://127.0.0.1:{server.server_address[1]}/", **options)
    with serving(server):
        yield server.state
