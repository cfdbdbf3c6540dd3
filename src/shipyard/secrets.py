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
# by shortest value masked: (len(_known) it was built for, regex)
_patterns: dict[int, tuple[int, re.Pattern[str] | None]] = {}
# user:password@ in URLs, whatever the password is
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@:\s]+):[^/@\s]+@")
# PyPI tokens (macaroons) even when we never saw them as a Secret
_PYPI_TOKEN = re.compile(r"pypi-[A-Za-z0-9_\-]{16,}")
# tokens by their shape, whoever issued them: PyPI's, GitHub's (classic, OAuth, app, fine-grained),
# GitLab's personal ones, and JWTs (OIDC id tokens); a child process never gets a value holding one
_TOKEN_SHAPES = re.compile(
    r"pypi-[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_\-]{16,}|eyJ[A-Za-z0-9_\-]*\.eyJ[A-Za-z0-9_\-]*\."
)
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
    # `in` (CPython's two-way search) skips ahead by the value's length: as fast as re on a value of
    # 8 bytes, 3x faster on a 37-byte token (measured over 2 MB of source and of random bytes)
    return any(v in data for v in values)


def held(value: str) -> bool:
    """Whether `value` is a credential: one registered (in any of its forms), one that holds a
    registered value long enough to tell apart, or a token by its shape."""
    if _TOKEN_SHAPES.search(value):
        return True
    with _lock:
        known = tuple(_known)
    return value in known or any(len(k) >= RELIABLE_LENGTH and k in value for k in known)


def _forms(value: str) -> set[str]:
    forms = {value, quote(value, safe=""), quote(value), json.dumps(value)[1:-1]}
    # shipyard sends Basic credentials UTF-8 encoded (RFC 7617); other clients latin-1 when they fit
    for encoding in ("utf-8", "latin-1"):
        try:
            encoded = base64.b64encode(value.encode(encoding)).decode()
        except UnicodeEncodeError:
            continue
        forms.update((encoded, encoded.rstrip("=")))
    return forms


def _compiled(shortest: int) -> re.Pattern[str] | None:
    """The regex of the known values of `shortest` characters or more (cached for each)."""
    with _lock:
        built, regex = _patterns.get(shortest, (-1, None))
        if built != len(_known):
            values = sorted((v for v in _known if len(v) >= shortest), key=len, reverse=True)
            alternatives = "|".join(re.escape(v) for v in values)
            regex = re.compile(f"(?<!{_WORD})(?:{alternatives})(?!{_WORD})") if values else None
            _patterns[shortest] = (len(_known), regex)
        return regex


def redact(text: str, *, shortest: int = _MIN_LENGTH) -> str:
    """Mask every known secret (as a whole token) of `shortest` characters or more, URL password
    and PyPI token in `text`."""
    if (regex := _compiled(shortest)) is not None:
        text = regex.sub(MASK, text)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PYPI_TOKEN.sub("pypi-" + MASK, text)


def redact_data(value: object) -> object:
    """`value` with every string in it redacted, before it is serialized (JSON output): a secret
    never meets the serializer's escaping, and no key or `true` can be turned into `***`. A field
    is masked for reliable values only: a password `1.0.0` must not turn the version into `***`
    (a value that short was warned about when it was read; the Secret type keeps it out anyway)."""
    if isinstance(value, str):
        return redact(value, shortest=RELIABLE_LENGTH)
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
