"""What the commands share: the epilog, option helpers, and reading config, dists and repositories."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.cli.render import Renderer
from shipyard.options import OPTIONS, Kind, Option, env_name

if TYPE_CHECKING:
    from shipyard.config import Config, Repository
    from shipyard.dists import Dist

EPILOG = """\
exit codes: 0 done (also: already published, identical), 1 a release step failed,
            2 usage or configuration error, 3 nothing to release
configuration: [tool.shipyard] in pyproject.toml; every option also has a SHIPYARD_* variable
credentials: SHIPYARD_<REPO>_TOKEN or SHIPYARD_<REPO>_USERNAME/_PASSWORD, TWINE_USERNAME/
             TWINE_PASSWORD, .env (never tracked by git), keyring, ~/.pypirc, then trusted publishing
             in GitHub Actions, GitLab CI, Buildkite, CircleCI, Google Cloud (GitLab: one id token
             per audience, <AUD>_ID_TOKEN such as PYPI_ID_TOKEN, or the one SHIPYARD_OIDC_TOKEN_VAR names)
"""

Handler = Callable[[argparse.Namespace, Renderer], int]
# command(name, handler, help text) -> the sub-parser, with the common options added
Command = Callable[[str, Handler, str], argparse.ArgumentParser]


def flag(parser: argparse.ArgumentParser, name: str, text: str, env: str = "", **kw: Any) -> None:
    """A flag with a SHIPYARD_* variable that is no config option (shown in --help)."""
    parser.add_argument(name, help=f"{text} [env: {env or env_name(name.lstrip('-'))}]", **kw)


OPTION = "option:"  # the namespace attributes of config options' flags: OPTION + key
METAVARS = {Kind.SECONDS: "S", Kind.POSITIVE_SECONDS: "S", Kind.COUNT: "N", Kind.STAGES: "A,B"}
METAVARS |= {
    Kind.TAG: "PATTERN",
    Kind.PATH: "DIR",
    Kind.OPTIONAL_PATH: "PATH",
    Kind.PROJECT_FILE: "PATH",
    Kind.TEXT: "TEXT",
    Kind.PUBLISHER: "KIND:OWNER/REPO@FILE",
}
TYPES = {Kind.SECONDS: float, Kind.POSITIVE_SECONDS: float, Kind.COUNT: int}


def option_flags(p: argparse.ArgumentParser, *keys: str) -> None:
    """The flags of config options `keys`, as declared; load_config reads the ones given."""
    for key in keys:
        option_flag(p, key)


def option_flag(p: argparse.ArgumentParser, key: str, spelling: str = "") -> None:
    """The flag of config option `key` (spelled as declared unless `spelling` is given), with its
    meaning, default and SHIPYARD_* variable in --help."""
    option = OPTIONS[key]
    kw: dict[str, Any] = {"dest": OPTION + key, "default": argparse.SUPPRESS}  # absent: not given
    if option.kind is Kind.SWITCH:
        kw.update(action="store_const", const=not option.default)
    else:
        kw.update(metavar=METAVARS.get(option.kind), type=TYPES.get(option.kind))
        kw.update(choices=option.choices or None)
    p.add_argument(spelling or option.flag, help=flag_help(option), **kw)


def flag_help(option: Option) -> str:
    if option.kind is not Kind.SWITCH:
        return f"{option.help} (default: {option.shown()}) [env: {option.env}]"
    if option.default:
        return f"do not {option.help} [env: {option.env}=0]"
    return f"{option.help} [env: {option.env}]"


def more_options(p: argparse.ArgumentParser) -> None:
    """Name in the epilog the options `p` has no flag for, so that --help shows every option."""
    lines = ["options without a flag here ([tool.shipyard], shipyard.toml or the environment):"]
    for o in OPTIONS.values():
        if p.get_default(OPTION + o.key) is not argparse.SUPPRESS:
            lines.append(f"  {o.key} (default: {o.shown()}) [env: {o.env}]")
            lines += textwrap.wrap(o.help, width=100, initial_indent=" " * 6, subsequent_indent=" " * 6)
    p.epilog = "\n".join([*lines, "", p.epilog or ""])


def option_values(args: argparse.Namespace) -> dict[str, object]:
    """The config options given as flags, by key (config.load's `flags`)."""
    return {k[len(OPTION) :]: v for k, v in vars(args).items() if k.startswith(OPTION)}


def load_config(args: argparse.Namespace) -> Config:
    from shipyard import config

    return config.load(Path(args.project), environ=os.environ, flags=option_values(args))


def dists_of(args: argparse.Namespace, cfg: Config) -> list[Dist]:
    from shipyard.dists import identify, read_manifest

    if getattr(args, "files", None):
        return [identify(Path(f)) for f in args.files]
    return read_manifest(cfg.dist_dir)


def repository_of(args: argparse.Namespace, cfg: Config, name: str | None) -> Repository:
    from shipyard.config import repository_for_url

    if args.repository_url:
        return repository_for_url(name or "custom", args.repository_url, args.simple_url)
    return cfg.repository(name or cfg.stages[0])


def python_of(args: argparse.Namespace) -> str:
    return str(getattr(args, "python", None) or sys.executable)


# ---------------------------------------------------------------- commands


def usage(message: str) -> Exception:
    from shipyard.errors import UsageError

    return UsageError(message)


def common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        default=bool(os.environ.get("SHIPYARD_JSON")),
        help="print one JSON document on stdout instead of progress lines [env: SHIPYARD_JSON]",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show the full output of a failed step")
    p.add_argument("--debug", action="store_true", help="show a traceback for every error")
    p.add_argument("-C", "--project", default=".", metavar="PATH", help="the project folder (default: .)")


def dist_options(p: argparse.ArgumentParser) -> None:
    option_flags(p, "dist-dir")
    p.add_argument("files", nargs="*", metavar="FILE", help="dists to use instead of the last build's")


def repo_options(p: argparse.ArgumentParser, name: str, text: str) -> None:
    p.add_argument(
        name,
        metavar="NAME",
        default=os.environ.get(env_name(name.lstrip("-"))),
        help=f"{text} (default: the first stage) [env: {env_name(name.lstrip('-'))}]",
    )
    flag(
        p,
        "--repository-url",
        "a one-off upload URL instead of a named repository",
        metavar="URL",
        default=os.environ.get("SHIPYARD_REPOSITORY_URL"),
    )
    flag(
        p,
        "--simple-url",
        "the simple index URL that goes with --repository-url",
        metavar="URL",
        default=os.environ.get("SHIPYARD_SIMPLE_URL"),
    )


def version_options(p: argparse.ArgumentParser) -> None:
    option_flags(p, "tag", "commit-parser")


def bump_options(p: argparse.ArgumentParser, name: str, text: str) -> None:
    p.add_argument(
        name,
        nargs="?",
        const="auto",
        default="auto" if p.prog.endswith(" plan") else None,
        choices=("auto", "patch", "minor", "major"),
        help=text,
    )
    p.add_argument(
        "--pre", metavar="KIND", help="make it a pre-release: a, b, rc or dev (1.3.0rc1, then rc2...)"
    )


def python_option(p: argparse.ArgumentParser) -> None:
    flag(
        p,
        "--python",
        "interpreter for the fresh venvs (default: the one running shipyard)",
        metavar="PATH",
        default=os.environ.get("SHIPYARD_PYTHON"),
    )


def network_options(p: argparse.ArgumentParser) -> None:
    option_flags(p, "retries", "retry-timeout", "upload-timeout", "cert", "system-certs", "client-cert")


def lock_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        action="store_true",
        default=os.environ.get("SHIPYARD_WAIT", "").lower() in ("1", "true", "yes", "on"),
        help="if another shipyard run works in this tree, wait for it to finish instead of failing "
        f"after lock-timeout (default: {OPTIONS['lock-timeout'].shown()} s) [env: SHIPYARD_WAIT]",
    )


def locked(
    args: argparse.Namespace, cfg: Config, command: str, out: Renderer
) -> AbstractContextManager[None]:
    """Hold the working tree's lock (.shipyard/lock) for a command that writes."""
    from shipyard.tools.lock import hold

    return hold(cfg.root, command, timeout=None if args.wait else cfg.lock_timeout, emit=out)
