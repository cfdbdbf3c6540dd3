"""`shipyard ci ...`: generate CI pipelines and task runners (a command group: init, later check)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shipyard.cli.common import Command, flag, usage
from shipyard.cli.render import Renderer

PROVIDERS = ("github", "gitlab", "azure", "travis")


def cmd_init(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.ci.generate import providers as generate

    root = Path(args.project)
    chosen = [p for p in PROVIDERS if getattr(args, p)]
    if args.task_runner:
        if chosen or args.trigger:
            raise usage(
                "--task-runner writes run.sh alone: drop --github/--gitlab/--azure/--travis/--trigger"
            )
        files = generate.task_runner(root, args.makefile)
    elif not chosen:
        raise usage("say which CI: --github, --gitlab, --azure or --travis (or --task-runner)")
    else:
        if args.makefile:
            raise usage("--makefile goes with --task-runner")
        files = generate.pipelines(root, chosen, args.trigger)
    if args.stdout:
        if len(files) != 1:
            raise usage("--stdout prints one file: name one CI (or drop --makefile)")
        sys.stdout.write(files[0].text)
        return 0
    written = generate.write(root, files, force=args.force)
    out.result("ci init", {"written": written}, "wrote " + ", ".join(written))
    return 0


def cmd_check(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.ci.lint import check as lint

    root = Path(args.project)
    paths = [Path(f) for f in args.files] or lint.discover(root)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise usage(f"no such pipeline file: {missing[0]}")
    findings = lint.check(paths, root)
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    summary = f"{len(paths)} file{'s' * (len(paths) != 1)} checked: {counts}"
    data = {
        "ok": not errors,
        "files": [lint.shown(p, root) for p in paths],
        "findings": [f.as_json() for f in findings],
    }
    out.result("ci check", data, "\n".join([*map(str, findings), summary]))
    return 1 if errors else 0


def _group(parent: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    return parent.add_subparsers(dest="ci_command", metavar="SUBCOMMAND", required=True)


def _leaf_options(p: argparse.ArgumentParser) -> None:
    """The common options after the sub-command too (`ci init --json`); when not given there, the
    values `ci` parsed (and its defaults) stand."""
    keep = argparse.SUPPRESS
    p.add_argument("--json", action="store_true", default=keep, help="print one JSON document on stdout")
    p.add_argument("-v", "--verbose", action="store_true", default=keep, help="show a failed step's output")
    p.add_argument("--debug", action="store_true", default=keep, help="show a traceback for every error")
    p.add_argument("-C", "--project", default=keep, metavar="PATH", help="the project folder (default: .)")


def register(command: Command) -> None:
    group = command(
        "ci",
        cmd_init,
        "generate CI pipelines that release, and lint existing ones (GitHub, GitLab, Azure, Travis)",
    )
    sub = _group(group)
    p = sub.add_parser(
        "init",
        help="write the CI pipeline (or a run.sh task runner) for this project",
        description="Write the CI pipeline for this project (single package or packaging repository): "
        "lint and tests on every push and pull request, and a release job on the trigger.",
    )
    p.set_defaults(func=cmd_init, command_parser=p)
    _leaf_options(p)
    which = p.add_argument_group("which file")
    which.add_argument("--github", action="store_true", help="GitHub Actions: .github/workflows/release.yml")
    which.add_argument("--gitlab", action="store_true", help="GitLab CI: .gitlab-ci.yml")
    which.add_argument("--azure", action="store_true", help="Azure Pipelines: azure-pipelines.yml")
    which.add_argument("--travis", action="store_true", help="Travis CI: .travis.yml")
    which.add_argument(
        "--task-runner", action="store_true", help="run.sh with the usual tasks, each a shipyard call"
    )
    which.add_argument("--makefile", action="store_true", help="with --task-runner: also a thin Makefile")
    flag(
        p,
        "--trigger",
        "when the release runs: tag (a single package's default: tags of the tag pattern), "
        "branch NAME (pushes to NAME), main (a packaging repository's default: merges to main)",
        env="SHIPYARD_CI_TRIGGER",
        nargs="+",
        metavar="WORD",
        default=os.environ.get("SHIPYARD_CI_TRIGGER", "").split() or None,
    )
    p.add_argument("--stdout", action="store_true", help="print the file instead of writing it")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = sub.add_parser(
        "check",
        help="lint pipeline files for release hygiene (exit 1 on an error-level finding)",
        description="Lint pipeline files for release hygiene: schema, the release waits for the tests, "
        "no credential reaches the log, full history where versions come from tags, trusted "
        "publishing scoped to the release job, pinned and current actions, scripts that parse. "
        "Each finding: file:line, level, rule, and the fix. Exit 1 if any finding is an error.",
    )
    p.set_defaults(func=cmd_check, command_parser=p)
    _leaf_options(p)
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="pipeline files (default: .github/workflows/*.yml, .gitlab-ci.yml, azure-pipelines.yml, "
        ".travis.yml in the project)",
    )
