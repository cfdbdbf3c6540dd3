"""What the CLI sets up around every command: one-line usage errors, redacted logging, SIGTERM.

- argparse's own errors (unknown flag, missing value, bad choice) become one line on stderr,
  `error: <problem> (see 'shipyard COMMAND --help')`, exit 2, like every other shipyard error.
- Every log record, from any library (requests, urllib3, keyring...), passes the redactor
  before any handler sees it, so a secret cannot reach a log line; `--debug` shows them on stderr.
- SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so that private credential files, locks and
  temporary folders are removed by their `finally` blocks.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class Terminated(BaseException):
    """SIGTERM arrived: unwind (running every `finally`), then exit 143."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit 2 (the README's contract)."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def redact_logs(debug: bool) -> None:
    """Mask secrets in every log record; with `debug`, show the records on stderr."""
    import logging

    from shipyard.secrets import RedactingFilter

    redacting = RedactingFilter()
    root = logging.getLogger()
    root.addFilter(redacting)
    # A filter on the root logger does not see records that propagate from library loggers;
    # the record factory does, for every logger, before any handler (or logging.lastResort) runs.
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redacting.filter(record)
        return record

    logging.setLogRecordFactory(redacted_record)
    if logging.lastResort is not None:
        logging.lastResort.addFilter(redacting)
    for chatty in ("sigstore", "tuf"):  # "offline mode" notes: shipyard says what it verified itself
        logging.getLogger(chatty).addHandler(logging.NullHandler())  # (--debug still shows them)
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(redacting)
        handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)


def terminate_on_sigterm() -> None:
    import signal

    def _raise(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, _raise)
