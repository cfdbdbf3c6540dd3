"""Credential files for third-party tools (a netrc for uv, a .pypirc...), never left behind.

The file is created with mode 0600 inside a fresh `tempfile.mkdtemp()` folder (mode 0700, so no
other user can even list it) and the folder is removed when the block ends, however it ends: normal
exit, an exception, KeyboardInterrupt, or SIGTERM (the CLI turns SIGTERM into SystemExit so that
`finally` blocks run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shipyard.secrets import Secret


@contextlib.contextmanager
def private_file(name: str, text: str) -> Iterator[Path]:
    """Yield the path of a 0600 file holding `text`, in a private folder removed on every exit path."""
    folder = Path(tempfile.mkdtemp(prefix="shipyard-private-"))
    try:
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def netrc_text(host: str, username: str, password: Secret) -> str | None:
    """One netrc entry; None for values netrc cannot hold unquoted (whitespace, quotes, `#`)."""
    values = (host, username, password.reveal())
    if any(not v or any(c.isspace() or c in "\"'#" for c in v) for v in values):
        return None
    return f"machine {host}\nlogin {username}\npassword {password.reveal()}\n"
