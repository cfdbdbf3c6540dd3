"""`shipyard audit`: the publish records of .shipyard/audit.jsonl, as a table or as JSON."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from shipyard.cli.common import Command
from shipyard.cli.render import Renderer

_HEADINGS = ("time (UTC)", "package", "version", "repository", "files", "ci run")


def _files(record: dict[str, object]) -> str:
    files = record.get("files")
    counts: dict[str, int] = {}
    for f in files if isinstance(files, list) else []:
        action = f.get("action", "?") if isinstance(f, dict) else "?"
        counts[action] = counts.get(action, 0) + 1
    said = ", ".join(f"{n} {a}" for a, n in counts.items()) or "none"
    return said if record.get("complete", True) else f"{said}; FAILED: {record.get('error', '')}"


def _row(record: dict[str, object]) -> tuple[str, ...]:
    repo = record.get("repository")
    repo = repo if isinstance(repo, dict) else {}
    ci = record.get("ci")
    ci = ci if isinstance(ci, dict) else None
    run = f"{ci.get('system', '')} {ci.get('url') or ci.get('run_id', '')}".strip() if ci else "-"
    return (
        str(record.get("time", "?")),
        str(record.get("package", "?")),
        str(record.get("version", "?")),
        str(repo.get("name", "?")),
        _files(record),
        run,
    )


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [_HEADINGS, *rows]) for i in range(len(_HEADINGS))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(_HEADINGS), line(tuple("-" * w for w in widths)), *map(line, rows)])


def cmd_audit(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.events import warning
    from shipyard.publish import audit
    from shipyard.tools import workdirs

    path = Path(args.project).resolve() / workdirs.STATE / audit.FILENAME
    problems: list[audit.Problem] = []
    records = [r for r in audit.read(path, problems) if audit.matches(r, args.package, args.repository)]
    for problem in problems:
        warning(out, f"{path.name} line {problem.line}: {problem.reason}, skipped")
    if not records:
        summary = f"no publish recorded in {path}" + (
            " that matches" if args.package or args.repository else ""
        )
    else:
        summary = table([_row(r) for r in records])
    out.result("audit", {"path": str(path), "records": records}, summary)
    return 0


def register(command: Command) -> None:
    p = command("audit", cmd_audit, "show the audit log: every publish, with files, hashes, index and CI run")
    p.add_argument(
        "--package",
        metavar="NAME",
        default=os.environ.get("SHIPYARD_AUDIT_PACKAGE"),
        help="only this package's publishes [env: SHIPYARD_AUDIT_PACKAGE]",
    )
    p.add_argument(
        "--repository",
        metavar="NAME",
        default=os.environ.get("SHIPYARD_AUDIT_REPOSITORY"),
        help="only publishes to this repository [env: SHIPYARD_AUDIT_REPOSITORY]",
    )
