"""Commands for one project: build, check, test-install, publish, verify, version, plan, release."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.cli.common import (
    ask_on_terminal,
    dists_of,
    load_config,
    locked,
    python_of,
    repository_of,
    request_of,
    unused_targets,
    usage,
)
from shipyard.cli.packrepo import cmd_plan_changed, cmd_release_changed, packaging_repo
from shipyard.cli.render import Renderer
from shipyard.cli.workspace import cmd_plan_workspace, cmd_release_workspace, workspace_of

if TYPE_CHECKING:
    from packaging.version import Version

    from shipyard.config import Config
    from shipyard.dists import Release
    from shipyard.plan.nextrelease import Plan


def cmd_build(args: argparse.Namespace, out: Renderer) -> int:
    import contextlib
    import tempfile

    from shipyard.builder import repair
    from shipyard.builder.pep517 import build

    cfg = load_config(args)
    lock = contextlib.nullcontext() if args.dry_run else locked(args, cfg, "build", out)
    with lock, tempfile.TemporaryDirectory(prefix="shipyard-dry-") as tmp:
        target = Path(tmp) if args.dry_run else cfg.dist_dir
        dists = build(cfg.root, target, isolated=not args.no_isolation, emit=out)
        # for a public stage (PyPI refuses linux_* wheels), repaired whenever the tools are there
        if args.repair or (repair.tools_installed() and any(cfg.repository(s).public for s in cfg.stages)):
            dists = repair.repair(dists, target, emit=out)
        where = "(dry run: nothing written)" if args.dry_run else f"in {cfg.dist_dir}"
        out.result(  # each file was listed as it was made: the summary does not list them again
            "build",
            {"dists": [d.as_json() for d in dists], "dry_run": args.dry_run},
            f"built {len(dists)} files {where}",
        )
    return 0


def cmd_check(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.check.check import check

    cfg = load_config(args)
    dists = dists_of(args, cfg)
    public = any(cfg.repository(s).public for s in ([args.to] if args.to else cfg.stages))
    report = check(dists, public=public, allow_files=cfg.allow_files, emit=out)
    out.result(
        "check",
        {"files": [d.filename for d in dists], "warnings_found": report.warnings},
        f"{len(dists)} files are fit to publish",
    )
    return 0


def cmd_test_install(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.check.testinstall import test_install

    cfg = load_config(args)
    result = test_install(
        dists_of(args, cfg),
        cfg.root,
        python=python_of(args),
        deps=not args.no_deps,
        run_tests=not args.no_tests,
        group=cfg.test_group,
        requirements_file=cfg.test_requirements_file,
        emit=out,
    )
    tests = {"passed": "its tests pass", "none": "no tests to run"}[result.tests]
    out.result("test-install", result.as_json(), f"{result.wheel} installs and imports; {tests}")
    return 0


def cmd_publish(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.dists import Release
    from shipyard.release.one import Target, publish_to

    cfg = load_config(args, outside=bool(args.files))
    target = Target(cfg, repository_of(args, cfg, args.to, out), os.environ, ask_on_terminal(out))
    done = publish_to(
        target,
        lambda: Release.of(dists_of(args, cfg)),
        dry_run=args.dry_run,
        lock=lambda: locked(args, cfg, "publish", out),
        emit=out,
    )
    counts = {
        a: sum(o.action == a for o in done.outcomes)
        for a in ("uploaded", "landed", "skipped", "would-upload")
    }
    said = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    seen = f"\n{done.release} can be seen at {done.page}" if done.page else ""
    out.result(
        "publish",
        {
            "repository": done.repository,
            "files": [o.as_json() for o in done.outcomes],
            "dry_run": args.dry_run,
            "url": done.page,
        },
        f"{done.repository}: {said}{seen}",
    )
    return 0


def cmd_verify(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.release.one import Target, verify_on

    cfg = load_config(args)
    target = Target(cfg, repository_of(args, cfg, args.on, out), os.environ, ask_on_terminal(out))
    install = not args.no_install
    checked = verify_on(
        target,
        lambda: _last_build(args, cfg),
        args.version,
        install=install,
        python=python_of(args),
        emit=out,
    )
    name, version, repo, result = checked.name, checked.version, target.repository.name, checked.verified
    data: dict[str, object] = {
        "repository": repo,
        "name": name,
        "version": version,
        "files": dict(result.files),
    }
    said = "exactly as built" if checked.exact else "with the hashes it lists"
    tail = ", and it installs from there" if install else ""
    proven = result.provenance
    if proven is not None:  # whose provenance it is: by the user's choice, the CI's, or the index's word
        tail += f"; its provenance is {proven.publisher}'s" + (
            " (as the index names it)" if proven.source == "index" else ""
        )
    data |= {"installed": install, "provenance": proven.as_json() if proven else None}
    out.result("verify", data, f"{repo} serves {name} {version} {said}{tail}")
    return 0


def _last_build(args: argparse.Namespace, cfg: Config) -> Release | None:
    """The release to verify; None when only --version names what to verify."""
    from shipyard.dists import Release
    from shipyard.errors import UsageError

    try:
        dists = dists_of(args, cfg)
    except UsageError:
        if args.version and not args.files:
            return None
        raise
    return Release.of(dists)


def cmd_version(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.release.version import current

    now = current(load_config(args), isolated=not args.no_isolation)
    last = f"; last release {now.last.tag}" if now.last else "; not released yet (no matching tag)"
    out.result("version", now.as_json(), f"{now.name} {now.version} (from {now.source}{last})")
    return 0


def cmd_plan(args: argparse.Namespace, out: Renderer) -> int:
    from packaging.version import Version

    from shipyard.config import read_pyproject
    from shipyard.plan.history import History
    from shipyard.plan.nextrelease import Subject, make_plan
    from shipyard.plan.target import BUMPS, project_identity, rules

    if (repo := packaging_repo(args)) is not None:
        return cmd_plan_changed(args, out, repo)
    if (ws := workspace_of(args)) is not None:
        return cmd_plan_workspace(args, out, ws)
    cfg = load_config(args)
    name, declared = project_identity(cfg.root, read_pyproject(cfg.root))
    subject = Subject(name, declared.version)
    plan = make_plan(History.read(cfg.root), subject, rules(cfg), pre=args.pre, force=BUMPS[args.bump])
    creates = False
    served = _first_stage_highest(cfg, name)
    highest = served["highest"]
    if plan.last is None:  # no tag yet: what the first stage serves is the last release
        plan = _untagged(cfg, plan, args, Version(str(highest)) if highest else None)
    since = f"{plan.commits} commit{'s' if plan.commits != 1 else ''} since"
    last = f"{plan.last.tag}, {since}" if plan.last else "none"
    lines = [f"{name}: last release {last}"]
    if plan.next_version is None:
        lines.append(f"  nothing to release: {plan.reason}")
    else:
        lines.append(f"  next: {plan.next_version} (tag {plan.tag}), {plan.reason}")
        for heading, notes in plan.notes().items():
            lines += [f"  {heading}:", *(f"    - {n}" for n in notes)]
        if creates := cfg.changelog is not None and not cfg.changelog.exists():
            created = _relative(cfg, cfg.changelog)
            lines.append(f"  release --bump creates {created} and commits it (changelog = false: none)")
    if not served["readable"]:
        lines.append(f"  {served['repository']}: could not be read")
    else:
        lines.append(f"  {served['repository']} serves: {highest or 'no version yet'}")
        if highest and plan.next_version and plan.next_version < Version(str(highest)):
            lines.append(f"  {plan.next_version} is lower: release refuses it unless --allow-lower")
    package = {**plan.as_json(), "index": served, "creates_changelog": creates}
    out.result("plan", {"packages": [package]}, "\n".join(lines))
    return 0


def _untagged(cfg: Config, plan: Plan, args: argparse.Namespace, highest: Version | None) -> Plan:
    """The plan of a project with no tag yet; its reason says what to do when nothing is released."""
    from shipyard.errors import NothingToRelease
    from shipyard.plan.target import Trigger, untagged_plan

    try:
        return untagged_plan(cfg, plan, Trigger(bump=args.bump, pre=args.pre), highest)
    except NothingToRelease as exc:
        reason = str(exc).removeprefix("nothing to release: ")
        return dataclasses.replace(plan, next_version=None, tag=None, reason=reason)


def _relative(cfg: Config, path: Path) -> str:
    return str(path.relative_to(cfg.root))


def _first_stage_highest(cfg: Config, name: str) -> dict[str, object]:
    """The highest version the first stage serves: read once, no retries (plan is a dry run)."""
    from shipyard.errors import ShipyardError
    from shipyard.index import credentials
    from shipyard.index.open import open_index
    from shipyard.publish.lower import highest_served

    repo = cfg.repository(cfg.stages[0])
    network = dataclasses.replace(cfg.network, retries=0)
    try:
        index = open_index(repo, credentials.for_reading(repo, cfg.root, os.environ), network)
        highest = highest_served(index, name)
    except ShipyardError:
        return {"repository": repo.name, "highest": None, "readable": False}
    return {"repository": repo.name, "highest": str(highest) if highest else None, "readable": True}


def cmd_release(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.release.single import release

    unused_targets(out, "release publishes to its stages (publish takes a one-off target)")
    if (repo := packaging_repo(args)) is not None:
        return cmd_release_changed(args, out, repo)
    if (ws := workspace_of(args)) is not None:
        return cmd_release_workspace(args, out, ws)
    if args.package or args.no_record:
        raise usage("--package and --no-record are for a packaging repository (release --changed)")
    if args.dists is not None and args.no_isolation:
        raise usage("--dists releases files built elsewhere: --no-isolation has nothing to build")
    cfg = load_config(args)
    with locked(args, cfg, "release", out):
        result = release(request_of(args, cfg), os.environ, emit=out)
    done = "would release" if args.dry_run else "released"
    stages = " -> ".join(s.repository + (" (already there)" if s.resumed else "") for s in result.stages)
    summary = f"{done} {result.name} {result.version} to {stages}"
    target, recorded = result.target, result.recorded
    if recorded and recorded.commit:
        summary += f"; committed {recorded.commit[:12]}"
    if recorded and target.create_tag:
        summary += f"; tagged {target.tag}" + (" and pushed" if recorded.pushed else "")
    elif args.dry_run and (target.commit or target.create_tag):
        summary += f"; would {'commit and ' if target.commit else ''}tag {target.tag}"
    page = result.page(cfg) if not args.dry_run else None
    if page is not None:
        summary += f"\n{result.name} {result.version} can be seen at {page}"
    out.result("release", {**result.as_json(), "dry_run": args.dry_run, "url": page}, summary)
    return 0
