"""`shipyard doctor`: release hygiene of a repository, one line per finding with its fix."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.cli.common import Command, flag
from shipyard.cli.paint import label
from shipyard.cli.render import Renderer

if TYPE_CHECKING:
    from shipyard.ci.lint.findings import Finding
    from shipyard.hygiene.doctor import NameCheck


def cmd_doctor(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.hygiene.doctor import counts, examine

    root = Path(args.project).resolve()
    if not root.is_dir():
        from shipyard.errors import UsageError

        raise UsageError(f"{root} is not a folder: pass the project folder with -C PATH")
    names = [] if args.no_index else _name_checks(root, args.on or [])
    findings = examine(root, history=not args.no_history, names=names, emit=out)
    found = counts(findings)
    lines = [f"{f.level}: {f.location}: {f.message}\n    fix: {f.fix}" for f in findings]
    said = ", ".join(f"{n} {s}{'' if n == 1 else 's'}" for s, n in found.items())
    summary = f"doctor: {said} in {root}"
    out.result(
        "doctor",
        {"ok": found["error"] == 0, "findings": [_as_json(f) for f in findings], "counts": dict(found)},
        "\n".join([*lines, summary]),
    )
    if found["error"]:
        print(
            label("error", sys.stderr),
            f"{said} of release hygiene found: fix the errors as shown above",
            file=sys.stderr,
        )
        return 1
    return 0


def _as_json(finding: Finding) -> dict[str, object]:
    """The one Finding's keys (as `ci check` prints them), and under doctor's earlier names too
    (severity, path, problem), which scripts reading `doctor --json` may still use."""
    shape = finding.as_json()
    return {**shape, "severity": shape["level"], "path": shape["file"], "problem": shape["message"]}


def _name_checks(root: Path, wanted: list[str]) -> list[NameCheck]:
    """The project's name on each configured remote repository (the stages, or --on)."""
    from shipyard import config as config_module
    from shipyard.hygiene.doctor import NameCheck, our_versions
    from shipyard.index import credentials
    from shipyard.index.open import open_index
    from shipyard.plan.target import project_identity

    if not (root / "pyproject.toml").is_file() and not config_module.setup_py_only(root):
        return []  # a packaging repository or no Python project: no single name to check
    cfg = config_module.load(root, environ=os.environ)
    pyproject = config_module.read_pyproject(root)
    # the version as shipyard resolves it for a release (Poetry's, a __version__, setup.cfg...)
    name, declared = project_identity(root, pyproject)
    ours = our_versions(root, cfg.tag, name, declared.version)
    checks = []
    for repo in (cfg.repository(n) for n in (wanted or cfg.stages)):
        if repo.is_local:
            continue  # the embedded folder index is this project's alone: no one else holds a name there
        checks.append(
            NameCheck(
                open_index(repo, credentials.for_reading(repo, root, os.environ), cfg.network), name, ours
            )
        )
    return checks


def register(command: Command) -> None:
    p = command(
        "doctor",
        cmd_doctor,
        "check the repository's release hygiene: tracked credentials, committed tokens, CI files that "
        "print secrets, .gitignore, the package name on the index",
    )
    p.add_argument(
        "--on",
        action="append",
        metavar="NAME",
        help="a repository to check the package name on (repeatable; default: the stages)",
    )
    flag(
        p,
        "--no-index",
        "do not contact any index (skip the package-name check)",
        env="SHIPYARD_DOCTOR_NO_INDEX",
        action="store_true",
        default=bool(os.environ.get("SHIPYARD_DOCTOR_NO_INDEX")),
    )
    p.add_argument(
        "--no-history",
        action="store_true",
        help="look for tokens in the tracked files only, not in every commit of the git history",
    )
