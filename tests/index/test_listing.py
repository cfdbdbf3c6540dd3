from __future__ import annotations

import pytest

from shipyard.index.listing import NotAnIndex, parse

HTML = """<!DOCTYPE html><html><head><base href="https://files.example/base/"></head><body>
<a href="../pkg/demo-1.0.tar.gz#sha256=AAAA">demo-1.0.tar.gz</a>
<a href="demo-1.0-py3-none-any.whl#md5=bb" data-yanked="broken build">demo-1.0-py3-none-any.whl</a>
<a href="demo-0.9-py3-none-any.whl#sha256=cc" data-yanked>demo-0.9-py3-none-any.whl</a>
</body></html>"""


def test_pep503_html_with_base_hashes_and_yanked() -> None:
    listing = parse(HTML, "text/html; charset=utf-8", "https://index.example/simple/demo/")
    sdist = listing.files["demo-1.0.tar.gz"]
    assert sdist.url == "https://files.example/pkg/demo-1.0.tar.gz" and sdist.sha256 == "aaaa"
    wheel = listing.files["demo-1.0-py3-none-any.whl"]
    assert wheel.sha256 is None and wheel.yanked and wheel.yanked_reason == "broken build"
    old = listing.files["demo-0.9-py3-none-any.whl"]
    assert old.yanked and old.yanked_reason == ""


def test_pep691_json() -> None:
    page = """{"meta": {"api-version": "1.1"}, "name": "demo", "files": [
      {"filename": "demo-1.0.tar.gz", "url": "/f/demo-1.0.tar.gz", "hashes": {"sha256": "ab"}, "yanked": false},
      {"filename": "demo-1.0-py3-none-any.whl", "url": "x.whl", "hashes": {}, "yanked": "security hole"}]}"""
    listing = parse(page, "application/vnd.pypi.simple.v1+json", "https://i.example/simple/demo/")
    assert listing.files["demo-1.0.tar.gz"].url == "https://i.example/f/demo-1.0.tar.gz"
    assert listing.files["demo-1.0.tar.gz"].sha256 == "ab"
    assert listing.files["demo-1.0-py3-none-any.whl"].yanked_reason == "security hole"


@pytest.mark.parametrize(
    ("text", "content_type"),
    [("{}", "application/vnd.pypi.simple.v1+json"), ("plain words", "text/html"), ("<a>", "application/pdf")],
)
def test_not_an_index(text: str, content_type: str) -> None:
    with pytest.raises(NotAnIndex):
        parse(text, content_type, "https://i.example/simple/demo/")


@pytest.mark.parametrize(
    "page",
    [
        '{"files": 5}',
        '{"files": null}',
        "[1, 2]",
        '{"files": [{"filename": "a-1.tar.gz", "hashes": ["sha256", "ab"]}]}',
        '{"files": [{"filename": "a-1.tar.gz", "url": 7}]}',
        '{"files": [{"filename": "a-1.tar.gz", "hashes": {"sha256": 12}}]}',
        '{"files": [{"filename": 3}]}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["files-int", "files-null", "a-list", "hashes-list", "url-int", "sha256-int", "filename-int", "deep"],
)
def test_a_malformed_pep691_page_is_not_an_index(page: str) -> None:
    with pytest.raises(NotAnIndex):
        parse(page, "application/vnd.pypi.simple.v1+json", "https://i.example/simple/demo/")


def test_an_upper_case_sha256_is_the_same_digest() -> None:
    page = '{"files": [{"filename": "a-1.tar.gz", "url": "a-1.tar.gz", "hashes": {"sha256": "ABCDEF"}}]}'
    listing = parse(page, "application/vnd.pypi.simple.v1+json", "https://i.example/simple/a/")
    assert listing.files["a-1.tar.gz"].sha256 == "abcdef"


@pytest.mark.parametrize(
    ("size", "kept"), [("1234", 1234), ("0", 0), ("-1", None), ('"12"', None), ("true", None), ("1.5", None)]
)
def test_a_pep700_size_is_kept_only_when_it_is_a_whole_number_of_bytes(size: str, kept: int | None) -> None:
    page = (
        f'{{"files": [{{"filename": "demo-1.0.tar.gz", "url": "d.tar.gz", "hashes": {{}}, "size": {size}}}]}}'
    )
    listing = parse(page, "application/vnd.pypi.simple.v1+json", "https://i.example/simple/demo/")
    assert listing.files["demo-1.0.tar.gz"].size == kept


def test_pep740_provenance_urls_from_json_and_html() -> None:
    base = "https://idx.example/simple/pkg/"
    page = (
        '{"meta": {"api-version": "1.3"}, "name": "pkg", "files": ['
        '{"filename": "pkg-1.tar.gz", "url": "pkg-1.tar.gz", "hashes": {}, '
        '"provenance": "/integrity/pkg/1/pkg-1.tar.gz/provenance"},'
        '{"filename": "pkg-2.tar.gz", "url": "pkg-2.tar.gz", "hashes": {}, "provenance": null}]}'
    )
    listing = parse(page, "application/vnd.pypi.simple.v1+json", base)
    assert (
        listing.files["pkg-1.tar.gz"].provenance
        == "https://idx.example/integrity/pkg/1/pkg-1.tar.gz/provenance"
    )
    assert listing.files["pkg-2.tar.gz"].provenance is None
    html = '<a href="pkg-1.tar.gz" data-provenance="../../integrity/pkg/1/pkg-1.tar.gz/provenance">pkg-1.tar.gz</a>'
    listing = parse(
        f"<html><body>{html}<a href='pkg-2.tar.gz'>pkg-2.tar.gz</a></body></html>", "text/html", base
    )
    assert (
        listing.files["pkg-1.tar.gz"].provenance
        == "https://idx.example/integrity/pkg/1/pkg-1.tar.gz/provenance"
    )
    assert listing.files["pkg-2.tar.gz"].provenance is None


def test_a_provenance_that_is_not_a_url_is_not_an_index() -> None:
    page = '{"files": [{"filename": "pkg-1.tar.gz", "url": "u", "hashes": {}, "provenance": {"x": 1}}]}'
    with pytest.raises(NotAnIndex, match="provenance that is not a URL"):
        parse(page, "application/vnd.pypi.simple.v1+json", "https://idx.example/simple/pkg/")


def test_pep792_project_status_in_json_and_html() -> None:
    """Simple API 1.4 as PyPI writes it; no marker means active, and a malformed one is not trusted."""
    page = (
        '{"meta": {"api-version": "1.4"}, "name": "demo", "files": [], '
        '"project-status": {"status": "Archived", "reason": "moved\\u001b[2J to demo2"}}'
    )
    listing = parse(page, "application/vnd.pypi.simple.v1+json", "https://i.example/simple/demo/")
    assert (listing.status, listing.status_reason) == ("archived", "moved\\x1b[2J to demo2")
    html = (
        '<html><head><meta name="pypi:repository-version" content="1.4">'
        '<meta name="pypi:project-status" content="quarantined">'
        '<meta name="pypi:project-status-reason" content="malware">'
        "</head><body></body></html>"
    )
    listing = parse(html, "text/html", "https://i.example/simple/demo/")
    assert (listing.status, listing.status_reason) == ("quarantined", "malware")
    for marker in ('"project-status": "archived"', '"project-status": {"status": 3}'):
        odd = parse(f'{{"files": [], {marker}}}', "application/vnd.pypi.simple.v1+json", "https://i.example/")
        assert odd.status == "active"
    assert parse(HTML, "text/html", "https://i.example/").status == "active"
