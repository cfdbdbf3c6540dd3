"""Commands for a packaging repository: assemble, status, init, new, run-api; plan and release --changed."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.cli.common import (
    Command,
    flag,
    lock_option,
    locked,
    option_values,
    request_of,
    usage,
    version_options,
)
from shipyard.cli.render import Renderer

if TYPE_CHECKING:
    from shipyard.assemble.layout import Module, Repo
    from shipyard.plan.nextrelease import Rules


def packaging_repo(args: argparse.Namespace) -> Repo | None:
    """The packaging repository at --project, or None for a single project."""
    root = Path(args.project)
    changed = getattr(args, "changed", False)
    # a project's own files first: a single project never loads the packaging-repository code
    if not changed and ((root / "pyproject.toml").is_file() or (root / "setup.py").is_file()):
        return None  # a setup.py project's shipyard.toml holds its options
    from shipyard.assemble import layout
    from shipyard.plan.workspace import is_workspace

    if (root / "pyproject.toml").is_file() and is_workspace(root):
        return None  # a workspace (cli/workspace.py), --changed or not
    if changed or layout.is_packaging_repo(root):
        return layout.load(root)
    return None


def repo_rules(args: argparse.Namespace, repo: Repo) -> Rules:
    from shipyard.assemble import settings
    from shipyard.plan.target import rules

    return rules(settings.load(repo, os.environ, option_values(args)))


def cmd_plan_changed(args: argparse.Namespace, out: Renderer, repo: Repo) -> int:
    from shipyard.plan.changed import survey

    packages = survey(repo, repo_rules(args, repo), pre=args.pre)
    lines = [f"{len(packages)} package{'s' if len(packages) != 1 else ''} to release ({repo.source})"]
    for p in packages:
        assert p.plan is not None
        last = p.last_label or "new"
        lines.append(f"  {p.name}: {last} -> {p.version} ({p.plan.reason}; {len(p.changed)} files changed)")
    lines += [f"  skipped {name}: {why}" for name, why in repo.skipped().items()]
    doc = {"packages": [p.as_json() for p in packages], "skipped": repo.skipped()}
    out.result("plan", doc, "\n".join(lines))
    return 0


def cmd_assemble(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.assemble import layout, settings
    from shipyard.builder.reproducible import source_date_epoch
    from shipyard.plan.changed import FIRST_VERSION, survey

    repo = layout.load(Path(args.project))
    modules = [repo.module(n) for n in args.names] if args.names else repo.modules()
    if args.version and len(modules) != 1:
        raise usage("--version goes with exactly one NAME")
    if args.docs:
        from shipyard.assemble.docs import require_mkdocs

        require_mkdocs()  # before anything is written
    known = (
        {} if args.version else {p.name: p for p in survey(repo, repo_rules(args, repo), only_changed=False)}
    )
    versions = {n: p.version or (str(p.last.version) if p.last else FIRST_VERSION) for n, p in known.items()}
    epoch = source_date_epoch(repo.root) if args.build else None
    with contextlib.ExitStack() as stack:
        if args.build:  # writes into dist/: one writer per working tree
            stack.enter_context(locked(args, settings.load(repo, os.environ), "assemble", out))
        done = [_assemble_one(args, repo, module, versions, epoch) for module in modules]
    lines = [line for _, said in done for line in said]
    doc = done[0][0] if len(done) == 1 else {"packages": [data for data, _ in done]}
    out.result("assemble", doc, "\n".join(lines))
    return 0


def _assemble_one(
    args: argparse.Namespace, repo: Repo, module: Module, versions: dict[str, str], epoch: int | None
) -> tuple[dict[str, object], list[str]]:
    from shipyard.assemble.tree import assemble

    version = args.version or versions[module.name]
    built = assemble(repo, module, version, repo.root / args.out / module.import_name, versions)
    data = built.as_json()
    lines = [f"assembled {built.name} {version} in {built.tree}"]
    if args.build:
        from shipyard.builder.inprocess import build_tree

        dists = build_tree(built.tree, repo.root / "dist" / module.import_name, epoch)
        data["dists"] = [d.as_json() for d in dists]
        lines += [f"  {d.filename}  sha256:{d.sha256}" for d in dists]
    if args.docs:
        from shipyard.assemble.docs import build_site

        site = build_site(repo, module, version, repo.root / args.site_dir)
        data["site"] = site.as_json()
        lines.append(f"  site: {site.path / 'index.html'}")
    return data, lines


def repo_or_fail(args: argparse.Namespace) -> Repo:
    from shipyard.assemble import layout

    root = Path(args.project)
    if not layout.is_packaging_repo(root):
        raise usage(
            f"{root.resolve()} is no packaging repository (no {layout.CONFIG} or {layout.PAA_CONFIG}): "
            "run shipyard init --packaging-repo"
        )
    return layout.load(root)


def cmd_status(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.assemble import settings
    from shipyard.cli.workspace import cmd_status_workspace, workspace_of
    from shipyard.index import credentials
    from shipyard.index.open import open_index
    from shipyard.release.status import status

    if (ws := workspace_of(args)) is not None:
        return cmd_status_workspace(args, out, ws)
    repo = repo_or_fail(args)
    cfg = settings.load(repo, os.environ, option_values(args))
    stages = [cfg.repository(n) for n in cfg.stages]
    indexes = [open_index(r, credentials.for_reading(r, repo.root, os.environ), cfg.network) for r in stages]
    rows = status(repo, cfg, indexes)
    lines = []
    for row in rows:
        p = row.package
        last = f"{p.last.version} ({p.recorded_in})" if p.last else "not released"
        change = f", {len(p.changed)} files changed -> {p.version}" if p.version else ""
        served = "; ".join(
            f"{n}: {', '.join(v)} (highest {v[-1]})"
            if v
            else f"{n}: -"
            if v is not None
            else f"{n}: unreadable"
            for n, v in row.on_index.items()
        )
        lines.append(f"{p.name}: {last}{change}; {served}")
    out.result("status", {"packages": [r.as_json() for r in rows]}, "\n".join(lines) or "no modules yet")
    return 0


def _served(stage: str, versions: list[str] | None) -> str:
    if versions is None:
        return f"{stage}: unreadable"
    return f"{stage}: {', '.join(versions)} (highest {versions[-1]})" if versions else f"{stage}: -"


def cmd_init(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.assemble import scaffold

    if not args.packaging_repo:
        raise usage("init makes a packaging repository: shipyard init --packaging-repo [PATH]")
    made = scaffold.init(Path(args.project))
    summary = f"made {', '.join(made)}" if made else "nothing to make: the layout is there"
    out.result("init", {"made": made}, summary)
    return 0


def cmd_new(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.assemble import scaffold

    made = scaffold.new(repo_or_fail(args), args.name, args.description)
    out.result("new", {"made": made}, f"made {', '.join(made)}")
    return 0


def cmd_run_api(args: argparse.Namespace, out: Renderer) -> int:
    """Serve a package's routes from the repository's current code (assembled, not installed)."""
    import importlib

    from shipyard.assemble import layout
    from shipyard.assemble.tree import assemble

    repo = layout.load(Path(args.project))
    module = repo.module(args.name)
    if not (repo.folder("api") / f"{module.import_name}.py").is_file():
        raise usage(
            f"{module.name} has no routes: add {repo.layout.api}/{module.import_name}.py with a router"
        )
    built = assemble(repo, module, "0.0.0.dev0", repo.root / "build" / module.import_name)
    sys.path.insert(0, str(built.tree))
    try:
        importlib.import_module("fastapi")
        importlib.import_module("uvicorn")
    except ImportError as exc:
        raise usage(
            f"run-api needs fastapi and uvicorn beside shipyard ({exc}): pip install fastapi uvicorn"
        ) from None
    server = importlib.import_module(f"{module.import_name}._api")
    print(
        f"serving {module.name}'s routes on http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr
    )
    server.main(["--host", args.host, "--port", str(args.port)])
    return 0


def cmd_release_changed(args: argparse.Namespace, out: Renderer, repo: Repo) -> int:
    from shipyard.assemble import settings
    from shipyard.index.base import release_page
    from shipyard.release.changed import release_changed

    if args.tag is not None or args.bump is not None:
        raise usage(
            "--changed releases each changed package at the version its commits call for: "
            "drop --tag and --bump"
        )
    if args.no_record and args.push:
        raise usage("--no-record writes no commit or tag to push: drop --push (or --no-record)")
    cfg = settings.load(repo, os.environ, option_values(args))
    only = args.package or [n.strip() for n in os.environ.get("SHIPYARD_PACKAGE", "").split(",") if n.strip()]
    with locked(args, cfg, "release", out):
        result = release_changed(
            repo, request_of(args, cfg), os.environ, out, only=only, record=not args.no_record
        )
    done = "would release" if args.dry_run else "released"
    names = ", ".join(result.names(dry_run=args.dry_run))
    tags = result.recorded.tags
    summary = f"{done} {names or 'nothing'}" + (f"; tagged {', '.join(tags)}" if tags else "")
    summary += " and pushed" if result.recorded.pushed else ""
    if args.no_record and names:
        summary += " (not recorded: no changelog, commit or tag)"
    if result.error is not None:
        if names:
            print(f"{done} {names} before the failure", file=sys.stderr)
        raise result.error
    # where each package can be seen: its page on the last stage
    seen = [
        (
            r.package.name,
            r.version,
            release_page(cfg.repository(r.stages[-1].repository), r.package.name, r.version),
        )
        for r in result.released
        if r.verified and not args.dry_run
    ]
    summary = "\n".join([summary, *(f"{name} {version} can be seen at {url}" for name, version, url in seen)])
    urls = {name: url for name, _, url in seen}
    out.result("release", {**result.as_json(), "dry_run": args.dry_run, "urls": urls}, summary)
    return 0


def register(command: Command) -> None:
    p = command(
        "run-api", cmd_run_api, "serve a packaging-repository package's FastAPI routes from its source"
    )
    p.add_argument("name", metavar="NAME", help="the module whose api/NAME.py to serve")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")

    p = command(
        "status", cmd_status, "every package of a packaging repository: tags, changes, index versions"
    )
    version_options(p)

    p = command("init", cmd_init, "create a packaging repository's layout (shipyard.toml, modules/, ...)")
    p.add_argument("path", nargs="?", help="where (default: --project or .)")
    p.add_argument("--packaging-repo", action="store_true", help="the layout of a packaging repository")

    p = command(
        "new", cmd_new, "add a module (with docstring, metadata and a test) to a packaging repository"
    )
    p.add_argument("name", metavar="NAME", help="the module's name (my_tool: released as my-tool)")
    p.add_argument("--description", default="A new package.", help="its one-line description (the docstring)")

    p = command("assemble", cmd_assemble, "write packaging-repository modules' package trees into build/NAME")
    p.add_argument(
        "names", nargs="*", metavar="NAME", help="modules (modules/NAME.py or modules/NAME/; default: all)"
    )
    p.add_argument("--out", default="build", metavar="DIR", help="where the tree goes (default: build)")
    p.add_argument(
        "--version", metavar="V", help="the version to write (default: the next, else the last released)"
    )
    p.add_argument("--build", action="store_true", help="also build its sdist and wheel into dist/NAME")
    flag(
        p,
        "--docs",
        "also build its MkDocs site into SITE_DIR/NAME (needs shipyard-release[docs])",
        action="store_true",
        default=bool(os.environ.get("SHIPYARD_DOCS")),
    )
    flag(
        p,
        "--site-dir",
        "where --docs puts the sites, one folder per package (default: site)",
        metavar="SITE_DIR",
        default=os.environ.get("SHIPYARD_SITE_DIR", "site"),
    )
    lock_option(p)
    version_options(p)
