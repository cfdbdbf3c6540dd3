"""What an index serves for one project: PEP 691 JSON or PEP 503 HTML -> {filename: IndexFile}.

Parsed here with the standard library: the two formats are small, and the parser library of the
field (pypi-simple) costs 0.27 s of import time, a third of a whole release's budget. A page may
come in pieces, as it arrives: HTML is parsed piece by piece (html.parser is incremental), JSON
whole (the reader bounds its size: index.remote, page-limit).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from shipyard.shown import shown

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("text/html", "application/vnd.pypi.simple.v1+html")
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


@dataclass(frozen=True)
class IndexFile:
    filename: str
    url: str
    sha256: str | None  # None when the index gives no sha256: then the file must be downloaded
    yanked: bool = False
    yanked_reason: str = ""
    size: int | None = None  # bytes, as a PEP 700 page gives them: a download takes no more
    provenance: str | None = None  # where its PEP 740 provenance object is, if the index serves one


# PEP 792 project status markers (simple API 1.4); an index that names none means "active"
STATUSES = frozenset({"active", "archived", "quarantined", "deprecated"})
_REASON_LIMIT = 300  # characters of the index's reason shown: it is one line of an error


@dataclass(frozen=True)
class Listing:
    files: Mapping[str, IndexFile] = field(default_factory=dict)
    status: str = "active"  # PEP 792: as the index names it (an unknown one kept as it is)
    status_reason: str = ""  # one printable line, control characters escaped

    def get(self, filename: str) -> IndexFile | None:
        return self.files.get(filename)


class NotAnIndex(ValueError):
    """The page is not a simple-API project page."""


def parse_json(text: str | Iterable[str], base_url: str) -> Listing:
    """A PEP 691 page; NotAnIndex for anything else, however malformed (a hostile index included)."""
    text = text if isinstance(text, str) else "".join(text)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: a page nested thousands deep
        raise NotAnIndex("not a PEP 691 project page (not JSON)") from None
    entries = data.get("files") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise NotAnIndex("not a PEP 691 project page (no list of files)")
    files = {}
    for entry in entries:
        file = _json_file(entry, base_url)
        files[file.filename] = file
    marker = data.get("project-status")
    marker = marker if isinstance(marker, dict) else {}
    return Listing(files, *_status(marker.get("status"), marker.get("reason")))


def one_line(text: str) -> str:
    """Text from a server as one printable line: control characters (ANSI escapes, CR, bidi
    overrides) escaped, never passed to a terminal, and bounded."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return shown[:_REASON_LIMIT] + ("..." if len(shown) > _REASON_LIMIT else "")


def _status(status: object, reason: object) -> tuple[str, str]:
    """(status, reason) of a PEP 792 marker; active when the index names none."""
    named = one_line(status.strip().lower()) if isinstance(status, str) and status.strip() else "active"
    return named, one_line(reason.strip()) if isinstance(reason, str) else ""


def _json_file(entry: object, base_url: str) -> IndexFile:
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        raise NotAnIndex("a file entry has no filename")
    filename: str = entry["filename"]
    url = entry.get("url", filename)
    hashes = entry.get("hashes", {})
    if not isinstance(url, str) or not isinstance(hashes, dict):
        raise NotAnIndex(f"the entry of {filename} is malformed (url or hashes)")
    sha256 = hashes.get("sha256")
    if sha256 is not None and not isinstance(sha256, str):
        raise NotAnIndex(f"the entry of {filename} has a sha256 that is not text")
    yanked = entry.get("yanked", False)
    size = entry.get("size")
    provenance = entry.get("provenance")
    if provenance is not None and not isinstance(provenance, str):
        raise NotAnIndex(f"the entry of {filename} has a provenance that is not a URL")
    return IndexFile(
        filename=filename,
        url=urljoin(base_url, url),
        sha256=sha256.lower() if sha256 else None,  # hex digests compare case-blind
        yanked=bool(yanked),
        yanked_reason=shown(yanked) if isinstance(yanked, str) else "",  # the index's words, shown
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        provenance=urljoin(base_url, provenance) if provenance else None,
    )


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []
        self.saw_html = False
        self.meta: dict[str, str] = {}  # PEP 792's <meta name="pypi:project-status" content=...>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_html = True
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "meta" and (name := dict(attrs).get("name")):
            self.meta.setdefault(name.lower(), dict(attrs).get("content") or "")
        elif tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_html(text: str | Iterable[str], base_url: str) -> Listing:
    parser = _Anchors()
    for piece in [text] if isinstance(text, str) else text:
        parser.feed(piece)
    parser.close()
    if not parser.saw_html:
        raise NotAnIndex("not an HTML page")
    base = urljoin(base_url, parser.base) if parser.base else base_url
    files = {}
    for attrs, label in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, _, fragment = urljoin(base, href).partition("#")
        algo, _, digest = fragment.partition("=")
        filename = label or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        yanked = "data-yanked" in attrs
        files[filename] = IndexFile(
            filename=filename,
            url=url,
            sha256=digest.lower() if algo == "sha256" and digest else None,
            yanked=yanked,
            yanked_reason=shown(attrs.get("data-yanked") or "") if yanked else "",
            provenance=urljoin(base, provenance) if (provenance := attrs.get("data-provenance")) else None,
        )
    meta = parser.meta
    return Listing(files, *_status(meta.get("pypi:project-status"), meta.get("pypi:project-status-reason")))


def parse(text: str | Iterable[str], content_type: str, base_url: str) -> Listing:
    """The listing of a page (its text whole, or in pieces), by its content type."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == JSON_TYPE:
        return parse_json(text, base_url)
    if kind in HTML_TYPES:
        return parse_html(text, base_url)
    raise NotAnIndex(f"the server answered with {kind or 'no content type'}, not a simple index page")


def json_page(name: str, files: list[dict[str, object]]) -> str:
    """A PEP 691 (v1.1, PEP 700) project page."""
    page = {"meta": {"api-version": "1.1"}, "name": name, "files": files, "versions": []}
    return json.dumps(page, indent=1, sort_keys=True) + "\n"
