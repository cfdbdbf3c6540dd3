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
    from shipyard.release.ship import Request

EPILOG = """\
exit codes: 0 done (also: already published, identical), 1 a release step failed,
            2 usage or configuration error, 3 nothing to release
configuration: [tool.shipyard] in pyproject.toml; every option also has a SHIPYARD_* variable
credentials: SHIPYARD_<REPO>_TOKEN or SHIPYARD_<REPO>_USERNAME/_PASSWORD, TWINE_USERNAME/
             TWINE_PASSWORD and UV_PUBLISH_TOKEN or UV_PUBLISH_USERNAME/_PASSWORD (one target only),
             .env (never tracked by git), $PYPIRC_PATH and ~/.pypirc, keyring, then trusted
             publishing (GitLab: one id token per audience, <AUD>_ID_TOKEN such as PYPI_ID_TOKEN, or
             the one SHIPYARD_OIDC_TOKEN_VAR names); publish and verify prompt on a terminal outside CI
trusted publishing: PyPI and TestPyPI accept GitHub Actions, GitLab CI, Google Cloud and
             ActiveState, not yet Buildkite or CircleCI (shipyard gets their tokens too, for an
             index that accepts them; PyPI answers invalid-publisher); PEP 740 provenance on PyPI
             comes from GitHub, GitLab and Google Cloud (--publisher github:..., gitlab:..., google:...)
"""

Handler = Callable[[argparse.Namespace, Renderer], int]
# command(name, handler, help text) -> the sub-parser, with the common options added
Command = Callable[[str, Handler, str], argparse.ArgumentParser]


def flag(parser: argparse.ArgumentParser, name: str, text: str, env: str = "", **kw: Any) -> None:
    """A flag with a SHIPYARD_* variable that is no config option (shown in --help)."""
    parser.add_argument(name, help=f"{text} [env: {env or env_name(name.lstrip('-'))}]", **kw)


OPTION = "option:"  # the namespace attributes of config options' flags: OPTION + key
METAVARS = {Kind.SECONDS: "S", Kind.POSITIVE_SECONDS: "S", Kind.COUNT: "N", Kind.STAGES: "A,B"}
METAVARS[Kind.NAMES] = "A,B"
METAVARS |= {
    Kind.TAG: "PATTERN",
    Kind.PATH: "DIR",
    Kind.OPTIONAL_PATH: "PATH",
    Kind.PROJECT_FILE: "PATH",
    Kind.TEXT: "TEXT",
    Kind.OPTIONAL_TEXT: "NAME",
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
        return f"{option.help}{_default(option)} [env: {option.env}]"
    if option.default:
        return f"do not {option.help} [env: {option.env}=0]"
    return f"{option.help} [env: {option.env}]"


def _default(option: Option) -> str:
    """The note " (default: X)", or nothing for an option that is empty unless set."""
    return f" (default: {option.shown()})" if option.shown() else ""


def more_options(p: argparse.ArgumentParser) -> None:
    """Name in the epilog the options `p` has no flag for, so that --help shows every option."""
    lines = ["options without a flag here ([tool.shipyard], shipyard.toml or the environment):"]
    for o in OPTIONS.values():
        if p.get_default(OPTION + o.key) is not argparse.SUPPRESS:
            lines.append(f"  {o.key}{_default(o)} [env: {o.env}]")
            lines += textwrap.wrap(o.help, width=100, initial_indent=" " * 6, subsequent_indent=" " * 6)
    p.epilog = "\n".join([*lines, "", p.epilog or ""])


def option_values(args: argparse.Namespace) -> dict[str, object]:
    """The config options given as flags, by key (config.load's `flags`)."""
    return {k[len(OPTION) :]: v for k, v in vars(args).items() if k.startswith(OPTION)}


def load_config(args: argparse.Namespace, *, outside: bool = False) -> Config:
    """The project's config; `outside`: with no pyproject.toml there, the defaults (publish FILE...
    works outside a project, as `twine upload dist/*` does)."""
    from shipyard import config

    root, flags = Path(args.project), option_values(args)
    bare = not (root / "pyproject.toml").exists() and not (root / "setup.py").is_file()
    empty: dict[str, object] | None = {} if outside and bare else None
    return config.load(root, environ=os.environ, flags=flags, pyproject=empty)


def dists_of(args: argparse.Namespace, cfg: Config) -> list[Dist]:
    from shipyard.dists import identify_each, read_manifest

    if getattr(args, "files", None):
        return identify_each([Path(f) for f in args.files])
    return read_manifest(cfg.dist_dir)


def repository_of(args: argparse.Namespace, cfg: Config, name: str | None, out: Renderer) -> Repository:
    """The one target of publish or verify: a flag, else its SHIPYARD_* variable, else twine's and
    uv's (TWINE_REPOSITORY_URL, TWINE_REPOSITORY, UV_PUBLISH_URL), else the first stage."""
    from shipyard.config import repository_for_url

    if args.repository_url or name:
        unused_targets(out, "the target is given")
    if args.repository_url:
        return repository_for_url(name or "custom", args.repository_url, args.simple_url)
    if name:
        return cfg.repository(name)
    env_url, where = _one_off_url()
    if env_url:  # UV_PUBLISH_CHECK_URL goes with UV_PUBLISH_URL alone: another index's listing lies
        check = os.environ.get("UV_PUBLISH_CHECK_URL") if os.environ.get("UV_PUBLISH_URL") else None
        simple = args.simple_url or check or None
        return repository_for_url("custom", env_url, simple, where=where)
    return cfg.repository(os.environ.get("TWINE_REPOSITORY") or cfg.stages[0])


def unused_targets(out: Renderer, why: str) -> None:
    """A warning for each of twine's and uv's target variables that is set but not used (`why`)."""
    from shipyard import events

    for variable in ("TWINE_REPOSITORY_URL", "TWINE_REPOSITORY", "UV_PUBLISH_URL"):
        if os.environ.get(variable):
            events.warning(out, f"{variable} is set, but {why}: it is not used")


def _one_off_url() -> tuple[str, str]:
    """The upload URL twine's or uv's variable names, and which; both set to others is an error."""
    from shipyard.errors import UsageError

    twine, uv = os.environ.get("TWINE_REPOSITORY_URL"), os.environ.get("UV_PUBLISH_URL")
    if twine and uv and twine.rstrip("/") != uv.rstrip("/"):
        raise UsageError(
            f"TWINE_REPOSITORY_URL ({twine}) and UV_PUBLISH_URL ({uv}) name different indexes: "
            "unset one, or name the target with --to or --repository-url"
        )
    if twine:
        return twine, "TWINE_REPOSITORY_URL"
    return (uv, "UV_PUBLISH_URL") if uv else ("", "")


def ask_on_terminal(out: Renderer) -> Callable[[Repository], tuple[str, str] | None] | None:
    """A username and password prompt (getpass) when stdin is a terminal and CI is not set; None
    otherwise, so that a pipeline fails at once instead of waiting for an answer."""
    if os.environ.get("CI") or not sys.stdin.isatty():
        return None

    def ask(repository: Repository) -> tuple[str, str] | None:
        import getpass

        out.close()  # a progress line in the middle of the prompt would hide it
        print(f"no credential found for {repository.name} ({repository.upload_url})", file=sys.stderr)
        print("username (empty: __token__, for an API token): ", end="", file=sys.stderr, flush=True)
        user = sys.stdin.readline().strip()
        try:
            password = getpass.getpass("password or token: ", stream=sys.stderr)
        except EOFError:  # Ctrl-D: no answer
            return None
        return (user or "__token__", password) if password else None

    return ask


def python_of(args: argparse.Namespace) -> str:
    return str(getattr(args, "python", None) or sys.executable)


def request_of(args: argparse.Namespace, cfg: Config) -> Request:
    """`release`'s one request, for a project or a packaging repository: the config and its flags."""
    from shipyard.plan.target import Trigger
    from shipyard.release.ship import Request

    trigger = Trigger(
        tag=args.tag,
        bump=args.bump,
        pre=args.pre,
        if_branch=args.if_branch,
        allow_dirty=args.allow_dirty,
        push=args.push,
    )
    return Request(
        cfg,
        python=python_of(args),
        dry_run=args.dry_run,
        isolated=not args.no_isolation,
        trigger=trigger,
        dists=Path(args.dists).resolve() if args.dists is not None else None,  # built elsewhere
    )


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


def repo_options(p: argparse.ArgumentParser, name: str, text: str, *aliases: str) -> None:
    p.add_argument(
        name,
        *aliases,
        dest=name.lstrip("-"),
        metavar="NAME",
        default=os.environ.get(env_name(name.lstrip("-"))),
        help=f"{text}, built in, in [tool.shipyard.repositories] or in .pypirc (default: "
        "TWINE_REPOSITORY_URL, TWINE_REPOSITORY or UV_PUBLISH_URL if set, else the first stage) "
        f"[env: {env_name(name.lstrip('-'))}]",
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
    option_flags(
        p,
        "retries",
        "retry-timeout",
        "upload-timeout",
        "page-limit",
        "download-limit",
        "cert",
        "system-certs",
        "client-cert",
    )


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
