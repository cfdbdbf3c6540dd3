"""The command line: parse arguments, call the library, render its events and results.

The one place that prints and exits. Imports of the library happen inside the commands, so that
`shipyard --help` starts fast. Each module here registers its commands on the parser.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from shipyard import __version__
from shipyard.cli import audit, ci, doctor, forge, packrepo, single_args
from shipyard.cli.common import EPILOG, Handler, common_options
from shipyard.cli.guard import OneLineParser, Terminated, redact_logs, terminate_on_sigterm
from shipyard.cli.render import Renderer
from shipyard.tools.procenv import register_credentials


def parser() -> argparse.ArgumentParser:
    top = OneLineParser(
        prog="shipyard",
        description="Release Python packages as simply and as safely as pushing a tag.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"shipyard {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Handler, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func, command_parser=p)
        common_options(p)
        return p

    single_args.register(command)
    packrepo.register(command)
    ci.register(command)
    doctor.register(command)
    audit.register(command)
    forge.register(command)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args, unknown = parser().parse_known_args(argv)
    if unknown:  # named by the command's parser, so the hint points at the right --help
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
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
        print("error: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("error: terminated (SIGTERM)", file=sys.stderr)
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
        print(redact("".join(traceback.format_exception(exc))), file=sys.stderr)
    if detail and (args.verbose or args.debug):
        print(redact(detail.rstrip()), file=sys.stderr)
    if args.json:
        doc = {
            "ok": False,
            "command": args.command,
            "error": message,
            "exit_code": code,
            "warnings": out.warnings,
        }
        print(json.dumps(redact_data(doc), indent=2))  # values redacted, then serialized
    print(redact(f"error: {' '.join(message.split())}"), file=sys.stderr)
    return code
