""".pypirc, twine's file: which files are read, and the repositories they declare by name.

The files: $SHIPYARD_PYPIRC alone if set; else Azure's TwineAuthenticate file ($PYPIRC_PATH), then
~/.pypirc. The repositories, by twine's rule: the names `[distutils] index-servers` lists (without
it, "pypi testpypi"), each at its section's `repository` URL; `[pypi]` and `[testpypi]` without one
are PyPI's and TestPyPI's upload URLs.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ConfigError

# twine's rule: a section without `repository` is for these (another section is for none)
DEFAULTS = {"pypi": "https://upload.pypi.org/legacy/", "testpypi": "https://test.pypi.org/legacy/"}


@dataclass(frozen=True)
class Server:
    """One repository a .pypirc declares by name (listed in `index-servers`)."""

    name: str
    url: str  # "" when its section names no repository
    path: Path  # the file, for messages
    simple_url: str = ""  # shipyard's own key (twine ignores it): where the index's pages are
    ca_cert: str = ""  # twine's keys: a CA bundle, a client certificate (and key) for this index
    client_cert: str = ""

    def tls_file(self, key: str) -> Path | None:
        """`ca_cert` or `client_cert` as twine reads it: from the working directory, ~ expanded."""
        value: str = getattr(self, key)
        return Path(value).expanduser().resolve() if value else None


def paths(environ: Mapping[str, str]) -> list[Path]:
    """SHIPYARD_PYPIRC alone if set; else Azure's TwineAuthenticate file ($PYPIRC_PATH), then ~/.pypirc."""
    if chosen := environ.get("SHIPYARD_PYPIRC"):
        return [Path(chosen).expanduser()]
    azure = [Path(environ["PYPIRC_PATH"])] if environ.get("PYPIRC_PATH") else []
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    return [*azure, home / ".pypirc"]


def read(path: Path) -> configparser.RawConfigParser:
    """The parsed file (empty when it does not exist). The parser's own message is never shown: it
    may quote a line of the file, which may hold a password (twine masks it for the same reason)."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        raise ConfigError(f"{path} cannot be parsed: fix or remove it") from None
    return parser


def servers(files: Sequence[Path]) -> dict[str, Server]:
    """Every repository `files` declare, by name; the first file to declare a name wins."""
    found: dict[str, Server] = {}
    for path in files:
        parser = read(path)
        listed = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
        for name in listed:
            value = {k: parser.get(name, k, fallback="").strip() for k in _KEYS}
            value["url"] = value.pop("repository") or DEFAULTS.get(name, "")
            found.setdefault(name, Server(name, path=path, **value))
    return found


_KEYS = ("repository", "simple_url", "ca_cert", "client_cert")
