"""Credentials as values that never print, and a redactor for every line that leaves the process.

`Secret` is the first wall (its str/repr is ***); `redact` is the second: every output line, error
message and log record goes through it, so a secret that slipped into a string is still masked.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import quote

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
_known: set[str] = set()
_lock = threading.Lock()
# user:password@ in URLs, whatever the password is
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@:\s]+):[^/@\s]+@")
# PyPI tokens (macaroons) even when we never saw them as a Secret
_PYPI_TOKEN = re.compile(r"pypi-[A-Za-z0-9_\-]{16,}")


class Secret:
    """A credential value. `reveal()` is the one way to get the text, and only uploaders call it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register(value)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def register(value: str) -> None:
    """Remember a value so that `redact` masks it wherever it appears, also url-encoded or in base64."""
    if len(value) >= _MIN_LENGTH:
        with _lock:
            _known.update(_forms(value))


def register_login(username: str, password: str) -> None:
    """Also mask the HTTP Basic form of a login (`base64(user:password)`), as a debug log may show it."""
    if len(password) >= _MIN_LENGTH:
        with _lock:
            _known.update(_forms(f"{username}:{password}")[1:])


def _forms(value: str) -> list[str]:
    encoded = base64.b64encode(value.encode()).decode()
    return [value, quote(value, safe=""), quote(value), encoded, encoded.rstrip("=")]


def redact(text: str) -> str:
    """Mask every known secret, URL password and PyPI token in `text`."""
    with _lock:
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PYPI_TOKEN.sub("pypi-" + MASK, text)


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record's message, arguments, traceback and stack, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
