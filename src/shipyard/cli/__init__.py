"""The command line: parse arguments, call the library, render its events and results.

The one place that prints and exits. Imports of the library happen inside the commands, so that
`shipyard --help` starts fast. Each module here registers its commands on the parser.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence

from shipyard import __version__
from shipyard.cli import audit, ci, completion, doctor, forge, packrepo, paint, single_args
from shipyard.cli.common import EPILOG, Handler, common_options
from shipyard.cli.guard import OneLineParser, RawFormatter, Terminated, redact_logs, terminate_on_sigterm
from shipyard.cli.paint import label
from shipyard.cli.render import Renderer
from shipyard.errors import did_you_mean
from shipyard.shown import shown
from shipyard.tools.procenv import register_credentials

# `shipyard --help` lists the commands in these groups, each registered by its modules
COMMAND_GROUPS = (
    ("a release, step by step or all at once", (single_args,)),
    ("packaging repositories (one package per module)", (packrepo,)),
    ("CI, hygiene and the record", (ci, doctor, audit, forge)),
    ("the shell", (completion,)),
)


def parser() -> OneLineParser:
    top = OneLineParser(
        prog="shipyard",
        usage="shipyard [-h] [--version] COMMAND ...",
        epilog=EPILOG,
        formatter_class=RawFormatter,
    )
    top.add_argument("--version", action="version", version=f"shipyard {__version__}")
    top.set_defaults(top_parser=top)  # what `shipyard completion` describes
    # the commands are listed by group in the description, not as one positional's choices
    sub = top.add_subparsers(
        dest="command", metavar="COMMAND", required=True, help=argparse.SUPPRESS, prog="shipyard"
    )
    groups: list[tuple[str, list[tuple[str, str]]]] = []

    def command(name: str, func: Handler, text: str) -> argparse.ArgumentParser:
        groups[-1][1].append((name, text))
        p: argparse.ArgumentParser = sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=EPILOG,
            formatter_class=RawFormatter,
        )
        p.set_defaults(func=func, command_parser=p)
        common_options(p)
        return p

    for title, modules in COMMAND_GROUPS:
        groups.append((title, []))
        for module in modules:
            module.register(command)
    top.description = "\n".join(
        ["Release Python packages as simply and as safely as pushing a tag.", *_listed(groups)]
    )
    return top


def _listed(groups: list[tuple[str, list[tuple[str, str]]]]) -> list[str]:
    width = max(len(name) for _, commands in groups for name, _ in commands) + 4
    lines = []
    for title, commands in groups:
        lines += ["", f"{title}:"]
        for name, text in commands:
            wrapped = textwrap.wrap(text, 100 - width)
            lines.append(f"  {name:<{width - 2}}{wrapped[0]}")
            lines += [" " * width + more for more in wrapped[1:]]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    paint.json_run(list(sys.argv[1:] if argv is None else argv))
    args, unknown = parser().parse_known_args(argv)
    if unknown:  # named by the command's parser, so the hint points at the right --help
        where = args.command_parser
        flag = next((u.split("=")[0] for u in unknown if u.startswith("-")), "")
        hint = did_you_mean(flag, where.options()) if flag else ""
        where.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    if getattr(args, "path", None):
        args.project = args.path
    redact_logs(args.debug)
    register_credentials(os.environ)  # every credential is known before any text is made
    terminate_on_sigterm()
    out = Renderer(args.json, args.verbose)
    try:
        code: int = args.func(args, out)
        return code
    except KeyboardInterrupt:
        print(label("error", sys.stderr), "interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(label("error", sys.stderr), "terminated (SIGTERM)", file=sys.stderr)
        return 143
    except BrokenPipeError:  # `shipyard plan | head`: the reader left, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        return _fail(exc, args, out)


def _fail(exc: Exception, args: argparse.Namespace, out: Renderer) -> int:
    import traceback

    from shipyard.errors import ShipyardError
    from shipyard.secrets import redact, redact_data

    out.close()
    if isinstance(exc, ShipyardError):
        message, code = exc.message, exc.exit_code
        detail = exc.detail
    else:
        message, code = (
            f"internal error: {type(exc).__name__}: {exc} (run with --debug, and please report it)",
            1,
        )
        detail = ""
    if args.debug:
        print(shown(redact("".join(traceback.format_exception(exc))), keep="\n"), file=sys.stderr)
    if detail and (args.verbose or args.debug):
        print(shown(redact(detail.rstrip()), keep="\n\t"), file=sys.stderr)
    if args.json:
        doc = {
            "ok": False,
            "command": args.command,
            "error": message,
            "exit_code": code,
            "warnings": out.warnings,
        }
        print(json.dumps(redact_data(doc), indent=2))  # values redacted, then serialized
    line = shown(redact(" ".join(message.split())))  # one line, no escapes
    print(label("error", sys.stderr), line, file=sys.stderr)
    return code
