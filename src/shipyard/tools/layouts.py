"""Where an index serves its simple pages, from where it takes uploads: the layouts of the index
servers people run, so that an upload URL alone (`--repository-url`, TWINE_REPOSITORY_URL, a .pypirc
`repository`) is enough. A URL of no known layout gets None: the caller asks for the simple URL
rather than guessing, and a wrong guess could only make the index unreadable (no upload follows).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# (what the upload path looks like, the simple path made from it, whose layout)
_LAYOUTS = (
    (re.compile(r"(?P<base>.*/)legacy/?"), r"\g<base>simple/", "PyPI, TestPyPI, warehouse"),
    (re.compile(r"/?"), "/simple/", "pypiserver (uploads at its root)"),
    (
        re.compile(r"(?P<base>/api/v4/projects/[^/]+/packages/pypi)/?"),
        r"\g<base>/simple/",
        "GitLab's package registry",
    ),
    (re.compile(r"(?P<base>/[^/+]+/[^/+]+)/?"), r"\g<base>/+simple/", "devpi (/USER/INDEX/)"),
)
_PYPI_HOSTS = {"upload.pypi.org": "pypi.org"}  # PyPI's pages are served from pypi.org
KNOWN = ", ".join(name for *_, name in _LAYOUTS)


def simple_url(upload_url: str) -> str | None:
    """The simple index URL of the index taking uploads at `upload_url`; None if its layout is
    not one of those known."""
    parts = urlsplit(upload_url)
    if parts.query or parts.fragment:
        return None
    for pattern, replacement, _ in _LAYOUTS:
        if found := pattern.fullmatch(parts.path):
            host = _PYPI_HOSTS.get(parts.netloc, parts.netloc)
            return urlunsplit(parts._replace(netloc=host, path=found.expand(replacement)))
    return None
