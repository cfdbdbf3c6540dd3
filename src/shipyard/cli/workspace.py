"""plan, status and release at a workspace root (uv's [tool.uv.workspace], or [tool.shipyard.workspace])."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.cli.common import locked, option_values, request_of, usage
from shipyard.cli.render import Renderer

if TYPE_CHECKING:
    from shipyard.config import Config
    from shipyard.plan.members import MemberPlan
    from shipyard.plan.workspace import Workspace


def workspace_of(args: argparse.Namespace) -> Workspace | None:
    """The workspace at --project, or None when the root declares none."""
    from shipyard.plan.workspace import discover, is_workspace

    root = Path(args.project)
    if not is_workspace(root):
        return None
    return discover(root)


def _config(args: argparse.Namespace, ws: Workspace) -> Config:
    from shipyard.plan.workspace import load_config

    return load_config(ws.root, os.environ, option_values(args))


def _plans(args: argparse.Namespace, ws: Workspace, cfg: Config) -> list[MemberPlan]:
    from shipyard.plan.members import survey
    from shipyard.plan.target import rules

    return survey(
        ws, rules(cfg), pre=getattr(args, "pre", None), refuse=getattr(args, "refuse_pin_bumps", False)
    )


def _line(p: MemberPlan) -> str:
    last = f"last release {p.last.tag}" if p.last else "not released yet"
    since = f", {p.plan.commits} commit{'s' if p.plan.commits != 1 else ''} since" if p.last else ""
    nxt = f" -> {p.version} ({p.plan.reason})" if p.version else f"; {p.plan.reason}"
    return f"  {p.name} [{p.member.folder}]: {last}{since}{nxt}"


def cmd_plan_workspace(args: argparse.Namespace, out: Renderer, ws: Workspace) -> int:
    cfg = _config(args, ws)
    plans = _plans(args, ws, cfg)
    changed = [p for p in plans if p.version]
    head = f"workspace {ws.root.name} ({ws.kind}): {len(plans)} members, {len(changed)} to release"
    lines = [head, *(_line(p) for p in plans)]
    for p in plans:
        lines += [f"    {p.name}: {pin.said()} (moved in the release commit)" for pin in p.pins]
    order = [f"{p.name} {p.version}" for p in changed]
    if order:
        lines.append(f"  release order: {', '.join(order)}")
    # "packages": what a release would ship (as a packaging repository's plan says it, for CI's matrix)
    doc = {
        "workspace": {"root": str(ws.root), "kind": ws.kind},
        "members": [p.as_json() for p in plans],
        "packages": [p.as_json() for p in changed],
    }
    out.result("plan", doc, "\n".join(lines))
    return 0


def cmd_status_workspace(args: argparse.Namespace, out: Renderer, ws: Workspace) -> int:
    from shipyard.errors import ShipyardError
    from shipyard.index import credentials
    from shipyard.index.open import open_index
    from shipyard.publish.lower import served_versions

    cfg = _config(args, ws)
    plans = _plans(args, ws, cfg)
    repos = [cfg.repository(n) for n in cfg.stages]
    indexes = [open_index(r, credentials.for_reading(r, ws.root, os.environ), cfg.network) for r in repos]
    rows, lines = [], []
    for p in plans:
        served: dict[str, list[str] | None] = {}
        for index in indexes:
            try:
                served[index.repository.name] = [str(v) for v in served_versions(index.read(p.name))]
            except ShipyardError:
                served[index.repository.name] = None
        shown = "; ".join(
            f"{n}: {v[-1] if v else '-'}" if v is not None else f"{n}: unreadable" for n, v in served.items()
        )
        lines.append(f"{_line(p).strip()}; {shown}")
        rows.append({**p.as_json(), "indexes": served})
    out.result("status", {"packages": rows}, "\n".join(lines))
    return 0


def cmd_release_workspace(args: argparse.Namespace, out: Renderer, ws: Workspace) -> int:
    from shipyard.release.workspace import release_workspace

    if args.tag is not None or args.bump is not None:
        raise usage(
            "a workspace releases each member at the version its commits call for: drop --tag and --bump"
        )
    if args.no_record and args.push:
        raise usage("--no-record writes no commit or tag to push: drop --push (or --no-record)")
    cfg = _config(args, ws)
    only = args.package or [n.strip() for n in os.environ.get("SHIPYARD_PACKAGE", "").split(",") if n.strip()]
    with locked(args, cfg, "release", out):
        result = release_workspace(
            ws,
            request_of(args, cfg),
            os.environ,
            out,
            only=only,
            refuse_pins=args.refuse_pin_bumps,
            record=not args.no_record,
        )
    done = "would release" if args.dry_run else "released"
    names = ", ".join(result.names(dry_run=args.dry_run))
    tags = result.recorded.tags
    summary = f"{done} {names or 'nothing'}" + (f"; tagged {', '.join(tags)}" if tags else "")
    summary += " and pushed" if result.recorded.pushed else ""
    if result.error is not None:
        if names:
            print(f"{done} {names} before the failure", file=sys.stderr)
        raise result.error
    out.result("release", {**result.as_json(), "dry_run": args.dry_run}, summary)
    return 0
