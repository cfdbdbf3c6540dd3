"""The simple URL derived from an upload URL alone (issue 14, point 7); the real servers' layouts are
proven against real pypiserver and devpi with publish --repository-url alone."""

from __future__ import annotations

import pytest

from shipyard.tools.layouts import simple_url


@pytest.mark.parametrize(
    ("upload", "simple"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        ("https://warehouse.corp.example/pypi/legacy", "https://warehouse.corp.example/pypi/simple/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),  # pypiserver
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        ("https://devpi.example/team/prod/", "https://devpi.example/team/prod/+simple/"),
        ("https://devpi.example/team/prod", "https://devpi.example/team/prod/+simple/"),
        (
            "https://gitlab.example/api/v4/projects/42/packages/pypi",
            "https://gitlab.example/api/v4/projects/42/packages/pypi/simple/",
        ),
        # no known layout: None, so the caller asks instead of guessing
        ("https://h.example/upload/", None),
        ("https://h.example/a/b/c/", None),
        ("https://devpi.example/team/+simple/", None),
        ("https://h.example/legacy/?x=1", None),
    ],
)
def test_an_upload_url_of_a_known_layout_gives_its_simple_url(upload: str, simple: str | None) -> None:
    assert simple_url(upload) == simple
