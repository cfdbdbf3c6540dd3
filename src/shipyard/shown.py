"""Text that came from a server, made safe to show on a terminal.

An index's reason phrase, a yanked file's reason, a trusted-publishing refusal, a forge's message
or page URL are the server's to write, and a terminal obeys what it is sent: an OSC sequence sets
the window title or a hyperlink, CSI 2 J clears the screen, a bidi override turns text around.
Every such character is shown as its escape (`\\x1b`, `\\x07`, `\\u202e`), visible and inert.
"""

from __future__ import annotations

import re

# C0, DEL and C1 controls, and the Unicode bidirectional marks, embeddings, overrides and isolates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str, keep: str = "") -> str:
    """`text` with every control character escaped, but those in `keep` (the CLI keeps the line
    breaks of a multi-line text it prints)."""
    if not keep:
        return _CONTROL.sub(_escape, text)
    return _CONTROL.sub(lambda found: found.group() if found.group() in keep else _escape(found), text)
