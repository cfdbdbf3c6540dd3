"""Credentials as values that never print, and a redactor for every line that leaves the process.

`Secret` is the first wall (its str/repr is ***); `redact` is the second: every output line, error
message and log record goes through it, so a secret that slipped into a string is still masked.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from urllib.parse import quote

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words
RELIABLE_LENGTH = 8  # below this a value is also an ordinary word or number: masking it is guesswork
_known: set[str] = set()
_values: set[str] = set()  # the values themselves, as given: what a file about to be published may hold
_lock = threading.Lock()
_pattern: tuple[int, re.Pattern[str] | None] = (0, None)  # (len(_known) it was built for, regex)
# user:password@ in URLs, whatever the password is
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@:\s]+):[^/@\s]+@")
# PyPI tokens (macaroons) even when we never saw them as a Secret
_PYPI_TOKEN = re.compile(r"pypi-[A-Za-z0-9_\-]{16,}")
# a secret is masked only as a whole token: "test" in "test_install" or "true" in "untrue" is a word
_WORD = r"[A-Za-z0-9_]"


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
    """Remember a value so that `redact` masks it wherever it appears, also url-encoded, JSON-escaped
    or in base64."""
    if len(value) >= _MIN_LENGTH:
        with _lock:
            _known.update(_forms(value))
            _values.add(value)


def register_login(username: str, password: str) -> None:
    """Also mask the HTTP Basic form of a login (`base64(user:password)`), as a debug log or a server
    echoing the request may show it."""
    if len(password) >= _MIN_LENGTH:
        with _lock:
            _known.update(f for f in _forms(f"{username}:{password}") if f != f"{username}:{password}")


def reliable(value: str) -> bool:
    """Whether `value` is long enough to be told apart from ordinary output (callers warn if not)."""
    return len(value) >= RELIABLE_LENGTH


def holds_credential(data: bytes) -> bool:
    """Whether `data` holds a credential value shipyard holds in this run (one long enough to be no
    ordinary word), as it is: a file about to be published must not."""
    with _lock:
        values = [v.encode() for v in _values if reliable(v)]
    # re searches a literal at memchr speed, twice as fast as `in` on a large buffer
    return any(re.search(re.escape(v), data) for v in values)


def _forms(value: str) -> set[str]:
    forms = {value, quote(value, safe=""), quote(value), json.dumps(value)[1:-1]}
    # requests sends Basic credentials latin-1 encoded when they fit, else shipyard sends UTF-8
    for encoding in ("utf-8", "latin-1"):
        try:
            encoded = base64.b64encode(value.encode(encoding)).decode()
        except UnicodeEncodeError:
            continue
        forms.update((encoded, encoded.rstrip("=")))
    return forms


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern[0] != len(_known):
            values = sorted(_known, key=len, reverse=True)
            alternatives = "|".join(re.escape(v) for v in values)
            regex = re.compile(f"(?<!{_WORD})(?:{alternatives})(?!{_WORD})") if values else None
            _pattern = (len(_known), regex)
        return _pattern[1]


def redact(text: str) -> str:
    """Mask every known secret (as a whole token), URL password and PyPI token in `text`."""
    if (regex := _compiled()) is not None:
        text = regex.sub(MASK, text)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PYPI_TOKEN.sub("pypi-" + MASK, text)


def redact_data(value: object) -> object:
    """`value` with every string in it redacted, before it is serialized (JSON output): a secret
    never meets the serializer's escaping, and no key or `true` can be turned into `***`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value


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
