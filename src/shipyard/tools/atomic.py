"""Files written whole or not at all.

Each is written to a `.NAME.PID.THREAD.tmp` beside it and renamed over it; a failed write (the disk full,
a file-size limit, a read-only folder) removes that temporary file and ends the command with one
`WriteError` naming the path and the reason: nothing half written is ever left to be read as a
whole file (a truncated wheel in dist/, an index page cut short).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from shipyard.errors import WriteError


def failed(path: Path, exc: OSError) -> WriteError:
    """The one-line error for a write to `path` that the OS refused."""
    return WriteError(
        f"cannot write {path}: {exc.strerror or exc}: free some space (or make it writable) and run "
        "it again; nothing was left half written"
    )


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed to `path` if the block succeeds,
    removed if it fails (an OSError becomes WriteError)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # a thread each
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise failed(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def copy(src: Path, dest: Path) -> None:
    """`src` copied to `dest` (another file system too), whole or not at all."""
    with replacing(dest) as tmp:
        shutil.copyfile(src, tmp)
