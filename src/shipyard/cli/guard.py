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
import functools
import re
import shutil
import sys
from typing import Any, NoReturn

from shipyard.cli.paint import label
from shipyard.errors import did_you_mean


class Terminated(BaseException):
    """SIGTERM arrived: unwind (running every `finally`), then exit 143."""


@functools.cache
def _width() -> int:
    """The help's width as argparse works it out (the terminal's columns, less 2), asked once."""
    return shutil.get_terminal_size().columns - 2


class Formatter(argparse.HelpFormatter):
    """argparse's help formatter, but the terminal's size asked once per run: argparse makes a
    formatter for every argument added (about 230 to build shipyard's parsers), and each asked."""

    def __init__(self, prog: str, **kwargs: int) -> None:
        kwargs.setdefault("width", _width())
        super().__init__(prog, **kwargs)


class RawFormatter(Formatter, argparse.RawDescriptionHelpFormatter):
    """RawDescriptionHelpFormatter (descriptions and epilogs as written), sized once."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit 2 (the README's contract),
    with "did you mean X?" for a mistyped choice. It keeps what was added to it, through argparse's
    public calls, for the shell completion and the hints: `arguments` (its actions, in order) and
    `commands` (its sub-commands' parsers and help texts, by name)."""

    def __init__(self, **kwargs: Any) -> None:  # argparse's own keywords, passed through
        self.arguments: list[argparse.Action] = []
        self.commands: dict[str, tuple[OneLineParser, str]] = {}
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(**kwargs)

    def add_argument(self, *names: str, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*names, **kwargs)
        self.arguments.append(action)
        return action

    def add_argument_group(self, *args: Any, **kwargs: Any) -> argparse._ArgumentGroup:
        group = super().add_argument_group(*args, **kwargs)
        add = group.add_argument

        def recorded(*names: str, **kw: Any) -> argparse.Action:
            action = add(*names, **kw)
            self.arguments.append(action)
            return action

        setattr(group, "add_argument", recorded)  # noqa: B010 (a method of this group alone)
        return group

    def add_subparsers(self, **kwargs: Any) -> Any:
        sub = super().add_subparsers(**kwargs)
        add = sub.add_parser

        def recorded(name: str, **kw: Any) -> OneLineParser:
            parser: OneLineParser = add(name, **kw)
            self.commands[name] = (parser, str(kw.get("help") or ""))
            return parser

        setattr(sub, "add_parser", recorded)  # noqa: B010
        return sub

    def options(self) -> list[str]:
        return [s for a in self.arguments for s in a.option_strings]

    def error(self, message: str) -> NoReturn:
        print(f"{label('error', sys.stderr)} {_hinted(message)} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


_CHOICE = re.compile(r"invalid choice: (?P<value>'[^']*'|\S+) \(choose from (?P<choices>.*)\)$")


def _hinted(message: str) -> str:
    """argparse's "invalid choice: 'relase' (choose from ...)" with ", did you mean release?" after
    the value (argparse quotes the choices up to Python 3.12, and not from 3.12.8 and 3.13 on)."""
    found = _CHOICE.search(message)
    if not found:
        return message
    choices = [c.strip().strip("'") for c in found["choices"].split(", ")]
    hint = did_you_mean(found["value"].strip("'"), choices)
    return message[: found.end("value")] + hint + message[found.end("value") :]


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
