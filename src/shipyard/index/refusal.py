"""What an index says when it refuses: the text of its answer's body, for the error line.

Indexes explain a refusal in the body ("The classifier 'Foo :: Bar' is not a valid classifier"),
not in the status line. The body is the index's to write, so it is read bounded, reduced to text
(HTML markup, scripts and styles dropped, control characters that could drive the terminal
removed), trimmed and redacted before it reaches a message.
"""

from __future__ import annotations

import json
import unicodedata
from html.parser import HTMLParser

import requests

from shipyard.config import Repository
from shipyard.dists import Dist
from shipyard.errors import AuthError, IndexError_
from shipyard.index.base import Credential, env_prefix
from shipyard.secrets import redact
from shipyard.shown import shown
from shipyard.tools import network
from shipyard.tools.network import TransientError


class Refused(IndexError_):
    """The index refused what an upload carried (HTTP 400 or 422): its metadata, its attestations."""


SHORT = 300  # characters in the error line
LONG = 2000  # characters in the error's detail (shown with -v)
_READ = 64 * 1024  # bytes of a body read at most
_HIDDEN = frozenset({"script", "style", "head", "title"})
_BLOCK = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "pre", "tr", "title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _from_json(text: str) -> str | None:
    """The message of a JSON problem document (`message`, `detail`, `error`...), if it is one."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if isinstance(doc, dict):
        for key in ("message", "detail", "error", "title"):
            if isinstance(doc.get(key), str):
                return str(doc[key])
    return None


def _printable(text: str) -> str:
    """One line of printable text: control characters (ANSI escapes, CR, bidi overrides) go."""
    kept = "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in text)
    return " ".join(kept.split())


def _body(resp: requests.Response) -> str:
    """At most _READ bytes of the body (also of a streamed answer, which is not read further)."""
    raw = b""
    for chunk in resp.iter_content(8192):
        raw += chunk
        if len(raw) >= _READ:
            break
    return raw[:_READ].decode(resp.encoding or "utf-8", errors="replace")


def text_of(resp: requests.Response, limit: int = SHORT) -> str:
    """The body's text, at most `limit` characters; "" if it says nothing."""
    try:
        body = _body(resp)
    except (requests.RequestException, OSError, ValueError):
        return ""
    kind = resp.headers.get("Content-Type", "").lower()
    found = _from_json(body) if "json" in kind or body.lstrip().startswith("{") else None
    if found is None and ("html" in kind or body.lstrip().startswith("<")):
        parser = _Text()
        parser.feed(body)
        parser.close()
        body = "".join(parser.parts)
    text = redact(_printable(found if found is not None else body))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def said(resp: requests.Response) -> tuple[str, str]:
    """(" - the index says: ...", the longer text for the detail), both "" for an empty body."""
    long = text_of(resp, LONG)
    if not long:
        return "", ""
    short = long if len(long) <= SHORT else long[: SHORT - 1].rstrip() + "…"
    return f" - the index says: {short}", f"the index's answer (HTTP {resp.status_code}): {long}"


def raise_for_upload(resp: requests.Response, repo: Repository, cred: Credential | None, dist: Dist) -> None:
    """The error an upload's answer means, if it is no success."""
    code = resp.status_code
    if 200 <= code < 300:
        return
    if 300 <= code < 400:
        target = shown(resp.headers.get("Location", "elsewhere"))
        raise IndexError_(
            f"{repo.name} redirects uploads (HTTP {code} to {target}): "
            "set its upload-url to the final address"
        )
    says, detail = said(resp)
    if code in (401, 403) and cred is None:
        raise AuthError(
            f"{repo.name} wants a credential for uploads (HTTP {code} {resp.reason}): remove auth = "
            f'"none" from its table and set {env_prefix(repo.name)}TOKEN or its USERNAME/PASSWORD{says}',
            detail=detail,
        )
    if code in (401, 403) and cred is not None:
        raise AuthError(
            f"{repo.name} rejected the credential for user {cred.username} from {cred.source} "
            f"(HTTP {code} {resp.reason}): fix or renew it there{says}",
            detail=detail,
        )
    if code in (404, 405, 501):
        raise IndexError_(
            f"{repo.name} refused {dist.filename}: HTTP {code} {resp.reason}: is {repo.upload_url} "
            f"the index's upload endpoint? Check its upload-url{says}",
            detail=detail,
        )
    if code in network.RETRY_STATUSES:
        raise TransientError(
            f"uploading {dist.filename} to {repo.name} failed: HTTP {code} {resp.reason}",
            retry_after=network.retry_after(resp.headers.get("Retry-After")),
        )
    failure = Refused if code in (400, 422) else IndexError_
    raise failure(f"{repo.name} refused {dist.filename}: HTTP {code} {resp.reason}{says}", detail=detail)
