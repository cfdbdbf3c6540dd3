"""`error:` and `warning:` in colour on a terminal, and nowhere else.

Colour is chosen per stream: never with --json (or SHIPYARD_JSON) and never when NO_COLOR is set
(https://no-color.org); else always when FORCE_COLOR is set (a CI log that renders colour); else
only when the stream is a terminal whose TERM is not `dumb`, so a pipe or a file gets plain text.
Only the label is coloured, after the text was made inert (shipyard.shown): a colour is ours, never
a server's.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

COLOURS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m"}  # bold red, bold yellow
RESET = "\x1b[0m"
_LABEL = re.compile(r"^(error|warning):", re.MULTILINE)
_json = False  # this run prints JSON: no colour anywhere


def json_run(argv: list[str]) -> None:
    """Remember whether this run asked for --json (read before argparse, whose own errors are
    printed before the flag is known)."""
    global _json
    _json = "--json" in argv or bool(os.environ.get("SHIPYARD_JSON"))


def colour(stream: TextIO) -> bool:
    if _json or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except ValueError:  # a closed stream
        return False


def label(kind: str, stream: TextIO) -> str:
    """`kind:` ("error:", "warning:"), coloured if `stream` gets colour."""
    return f"{COLOURS[kind]}{kind}:{RESET}" if colour(stream) else f"{kind}:"


def labels(text: str, stream: TextIO) -> str:
    """`text` (already inert) with the `error:` and `warning:` that begin its lines coloured."""
    if not colour(stream):
        return text
    return _LABEL.sub(lambda found: f"{COLOURS[found[1]]}{found[0]}{RESET}", text)
