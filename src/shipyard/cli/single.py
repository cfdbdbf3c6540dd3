"""Commands for one project: build, check, test-install, publish, verify, version, plan, release."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard.cli.common import (
    Command,
    bump_options,
    dist_options,
    dists_of,
    flag,
    load_config,
    lock_option,
    locked,
    network_flags,
    network_options,
    python_of,
    python_option,
    repo_options,
    repository_of,
    usage,
    version_options,
)
from shipyard.cli.packrepo import cmd_plan_changed, cmd_release_changed, packaging_repo
from shipyard.cli.render import Renderer

if TYPE_CHECKING:
    from shipyard.config import Config
    from shipyard.dists import Dist


def cmd_build(args: argparse.Namespace, out: Renderer) -> int:
    import contextlib
    import tempfile

    from shipyard.build.pep517 import build

    cfg = load_config(args, **{"dist-dir": args.out})
    lock = contextlib.nullcontext() if args.dry_run else locked(args, cfg, "build", out)
    with lock, tempfile.TemporaryDirectory(prefix="shipyard-dry-") as tmp:
        target = Path(tmp) if args.dry_run else cfg.dist_dir
        dists = build(cfg.root, target, isolated=not args.no_isolation, emit=out)
        lines = [f"{d.filename}  sha256:{d.sha256}" for d in dists]
        where = "(dry run: nothing written)" if args.dry_run else f"in {cfg.dist_dir}"
        out.result(
            "build",
            {"dists": [d.as_json() for d in dists], "dry_run": args.dry_run},
            f"built {len(dists)} files {where}:\n  " + "\n  ".join(lines),
        )
    return 0


def cmd_check(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.check.check import check

    cfg = load_config(args, **{"dist-dir": args.dist_dir})
    dists = dists_of(args, cfg)
    public = any(cfg.repository(s).public for s in ([args.to] if args.to else cfg.stages))
    report = check(dists, public=public, emit=out)
    out.result(
        "check",
        {"files": [d.filename for d in dists], "warnings_found": report.warnings},
        f"{len(dists)} files are fit to publish",
    )
    return 0


def cmd_test_install(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.check.testinstall import test_install

    cfg = load_config(args, **{"dist-dir": args.dist_dir})
    result = test_install(
        dists_of(args, cfg),
        cfg.root,
        python=python_of(args),
        deps=not args.no_deps,
        run_tests=not args.no_tests,
        emit=out,
    )
    tests = {"passed": "its tests pass", "none": "no tests to run"}[result.tests]
    out.result("test-install", result.as_json(), f"{result.wheel} installs and imports; {tests}")
    return 0


def cmd_publish(args: argparse.Namespace, out: Renderer) -> int:
    import contextlib

    from shipyard.index import credentials
    from shipyard.index.open import open_index
    from shipyard.publish.audit import AuditLog
    from shipyard.publish.publish import publish

    flags = {
        "dist-dir": args.dist_dir,
        "allow-unverified": args.allow_unverified or None,
        **network_flags(args),
    }
    cfg = load_config(args, **flags)
    repo = repository_of(args, cfg, args.to)
    index = open_index(repo, credentials.resolve(repo, cfg.root, os.environ), cfg.network)
    dists = dists_of(args, cfg)
    with contextlib.nullcontext() if args.dry_run else locked(args, cfg, "publish", out):
        outcomes = publish(
            dists,
            index,
            dry_run=args.dry_run,
            allow_unverified=cfg.allow_unverified,
            audit=AuditLog.at(cfg.root, os.environ),
            emit=out,
        )
    counts = {
        a: sum(o.action == a for o in outcomes) for a in ("uploaded", "landed", "skipped", "would-upload")
    }
    said = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    out.result(
        "publish",
        {"repository": repo.name, "files": [o.as_json() for o in outcomes], "dry_run": args.dry_run},
        f"{repo.name}: {said}",
    )
    return 0


def cmd_verify(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.index import credentials
    from shipyard.index.open import open_index
    from shipyard.publish.verify import Verified, verify, verify_published

    cfg = load_config(args, **{"dist-dir": args.dist_dir, "verify-timeout": args.timeout})
    repo = repository_of(args, cfg, args.on)
    index = open_index(repo, credentials.resolve(repo, cfg.root, os.environ), cfg.network)
    install, python = not args.no_install, python_of(args)
    build = _last_build(args, cfg)
    result: Verified
    if build is not None and args.version in (None, build[1][1]):
        dists, (name, version) = build
        result = verify(dists, index, timeout=cfg.verify_timeout, install=install, python=python, emit=out)
        said = "exactly as built"
    else:
        name, version = _project_name(cfg), args.version
        result = verify_published(
            index, name, version, timeout=cfg.verify_timeout, install=install, python=python, emit=out
        )
        said = "with the hashes it lists"
    data = {"repository": repo.name, "name": name, "version": version, "files": dict(result.files)}
    tail = ", and it installs from there" if install else ""
    out.result("verify", {**data, "installed": install}, f"{repo.name} serves {name} {version} {said}{tail}")
    return 0


def _last_build(args: argparse.Namespace, cfg: Config) -> tuple[list[Dist], tuple[str, str]] | None:
    """The dists to verify and their release; None when only --version names what to verify."""
    from shipyard.dists import release_of
    from shipyard.errors import UsageError

    try:
        dists = dists_of(args, cfg)
    except UsageError:
        if args.version and not args.files:
            return None
        raise
    return dists, release_of(dists)


def _project_name(cfg: Config) -> str:
    from shipyard.config import read_pyproject
    from shipyard.errors import UsageError

    name = read_pyproject(cfg.root).get("project", {}).get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{cfg.root / 'pyproject.toml'} declares no [project] name to verify")
    return name


def version_config(args: argparse.Namespace) -> Config:
    return load_config(args, tag=args.tag_pattern, **{"commit-parser": getattr(args, "parser", None)})


def cmd_version(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.plan.target import current

    now = current(version_config(args), isolated=not args.no_isolation)
    last = f"; last release {now.last.tag}" if now.last else "; not released yet (no matching tag)"
    out.result("version", now.as_json(), f"{now.name} {now.version} (from {now.source}{last})")
    return 0


def cmd_plan(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.config import read_pyproject
    from shipyard.plan import source as versionsource
    from shipyard.plan.nextrelease import make_plan
    from shipyard.plan.target import BUMPS, project_name, rules

    if (repo := packaging_repo(args)) is not None:
        return cmd_plan_changed(args, out, repo)
    cfg = version_config(args)
    pyproject = read_pyproject(cfg.root)
    name = project_name(cfg.root, pyproject)
    declared = versionsource.find(cfg.root, pyproject)
    plan = make_plan(cfg.root, name, declared.version, rules(cfg), pre=args.pre, force=BUMPS[args.bump])
    since = f"{plan.commits} commit{'s' if plan.commits != 1 else ''} since"
    last = f"{plan.last.tag}, {since}" if plan.last else "none"
    lines = [f"{name}: last release {last}"]
    if plan.next_version is None:
        lines.append(f"  nothing to release: {plan.reason}")
    else:
        lines.append(f"  next: {plan.next_version} (tag {plan.tag}), {plan.reason}")
        for heading, notes in plan.notes().items():
            lines += [f"  {heading}:", *(f"    - {n}" for n in notes)]
    out.result("plan", {"packages": [plan.as_json()]}, "\n".join(lines))
    return 0


def cmd_release(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.plan.target import Trigger
    from shipyard.release.ship import Options
    from shipyard.release.single import release

    if (repo := packaging_repo(args)) is not None:
        trigger = Trigger(
            pre=args.pre, if_branch=args.if_branch, allow_dirty=args.allow_dirty, push=args.push
        )
        options = Options(python=python_of(args), dry_run=args.dry_run, trigger=trigger)
        return cmd_release_changed(args, out, repo, options)
    if args.package or args.no_record:
        raise usage("--package and --no-record are for a packaging repository (release --changed)")

    cfg = load_config(
        args,
        stages=args.stages,
        **{
            "test-install": False if args.no_test_install else None,
            "verify-install": False if args.no_verify_install else None,
            "allow-unverified": args.allow_unverified or None,
            "verify-timeout": args.timeout,
            **network_flags(args),
        },
    )
    trigger = Trigger(
        tag=args.tag,
        bump=args.bump,
        pre=args.pre,
        if_branch=args.if_branch,
        allow_dirty=args.allow_dirty,
        push=args.push,
    )
    options = Options(
        python=python_of(args), dry_run=args.dry_run, isolated=not args.no_isolation, trigger=trigger
    )
    with locked(args, cfg, "release", out):
        result = release(cfg, os.environ, options, emit=out)
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
    out.result("release", {**result.as_json(), "dry_run": args.dry_run}, summary)
    return 0


def register(command: Command) -> None:
    p = command("build", cmd_build, "build the sdist and wheel (PEP 517, isolated, reproducible)")
    p.add_argument("path", nargs="?", help="the project folder (default: --project or .)")
    flag(p, "--out", "output folder (default: dist)", env="SHIPYARD_DIST_DIR", metavar="DIR", dest="out")
    p.add_argument(
        "--no-isolation", action="store_true", help="build in this environment, not an isolated one"
    )
    p.add_argument("--dry-run", action="store_true", help="build in a temporary folder, leave dist/ alone")
    lock_option(p)

    p = command("check", cmd_check, "check the built files are fit for the target index")
    p.add_argument("--to", metavar="NAME", help="the repository the files are for (default: every stage)")
    dist_options(p)

    p = command(
        "test-install", cmd_test_install, "install the wheel in a fresh venv, import it, run the tests"
    )
    p.add_argument("--no-deps", action="store_true", help="install the wheel without its dependencies")
    p.add_argument("--no-tests", action="store_true", help="only install and import, do not run the tests")
    python_option(p)
    dist_options(p)

    p = command("publish", cmd_publish, "upload the build to a repository, idempotently, never overwriting")
    repo_options(p, "--to", "the repository to upload to")
    p.add_argument(
        "--allow-unverified",
        action="store_true",
        help="upload even when the index cannot be read first [env: SHIPYARD_ALLOW_UNVERIFIED]",
    )
    p.add_argument("--dry-run", action="store_true", help="read the index and say what would be uploaded")
    network_options(p)
    lock_option(p)
    dist_options(p)

    p = command(
        "verify", cmd_verify, "prove the index serves the build exactly, and that it installs from there"
    )
    repo_options(p, "--on", "the repository to verify")
    p.add_argument(
        "--version",
        metavar="V",
        help="the version to verify (default: the last build's; another version is "
        "verified against the hashes the index lists)",
    )
    flag(
        p,
        "--timeout",
        "seconds to wait for the index to list the files (default: 120)",
        "SHIPYARD_VERIFY_TIMEOUT",
        type=float,
        metavar="S",
        default=None,
    )
    p.add_argument(
        "--no-install", action="store_true", help="check the files only, skip the install from the index"
    )
    python_option(p)
    dist_options(p)

    p = command("version", cmd_version, "print the project's version and where it comes from")
    version_options(p)
    p.add_argument(
        "--no-isolation", action="store_true", help="ask the backend in this environment (dynamic versions)"
    )

    p = command("plan", cmd_plan, "say what the next release is and why, from tags and commit messages")
    version_options(p)
    bump_options(p, "--bump", "preview a forced bump instead of the one the commits decide")
    p.add_argument(
        "--changed",
        action="store_true",
        help="a packaging repository: every package changed since its last tag (the default where "
        "shipyard.toml or .paa.config is found and no pyproject.toml)",
    )

    p = command("release", cmd_release, "build, check, test-install, then publish and verify stage by stage")
    p.add_argument("--stages", metavar="A,B", help="repositories in release order [env: SHIPYARD_STAGES]")
    version_options(p)
    p.add_argument(
        "--tag",
        nargs="?",
        const="",
        default=os.environ.get("SHIPYARD_RELEASE_TAG"),
        metavar="TAG",
        help="release the version this tag names (what CI runs on a tag push); the tag is made after "
        "the release verified if it does not exist; alone: the declared version's tag "
        "[env: SHIPYARD_RELEASE_TAG]",
    )
    bump_options(
        p,
        "--bump",
        "release the next version from the commits (or the bump given), write it and the changelog, "
        "then commit and tag once verified",
    )
    flag(
        p,
        "--if-branch",
        "release only on this branch, else exit 3 (nothing to release)",
        metavar="BRANCH",
        default=os.environ.get("SHIPYARD_IF_BRANCH"),
    )
    p.add_argument(
        "--allow-dirty", action="store_true", help="release even with uncommitted changes in the tree"
    )
    p.add_argument("--push", action="store_true", help="push the release commit and tag once made")
    p.add_argument(
        "--changed",
        action="store_true",
        help="a packaging repository: release every package changed since its last tag, in dependency "
        "order (the default where shipyard.toml or .paa.config is found and no pyproject.toml)",
    )
    flag(
        p,
        "--package",
        "with --changed: release only NAME and the changed packages it imports (repeatable; "
        "SHIPYARD_PACKAGE: comma-separated)",
        action="append",
        metavar="NAME",
        default=None,
    )
    p.add_argument(
        "--no-record",
        action="store_true",
        help="with --changed: publish and verify, but write no changelog, commit or tag (parallel "
        "CI jobs; one later run records them all)",
    )
    p.add_argument(
        "--no-test-install",
        action="store_true",
        help="skip the test-install step [env: SHIPYARD_TEST_INSTALL=0]",
    )
    p.add_argument(
        "--no-verify-install",
        action="store_true",
        help="verify hashes only, skip the install from each index [env: SHIPYARD_VERIFY_INSTALL=0]",
    )
    p.add_argument(
        "--allow-unverified", action="store_true", help="upload even when an index cannot be read first"
    )
    flag(
        p,
        "--timeout",
        "seconds to wait for each index to list the files (default: 120)",
        "SHIPYARD_VERIFY_TIMEOUT",
        type=float,
        metavar="S",
        default=None,
        dest="timeout",
    )
    p.add_argument(
        "--no-isolation", action="store_true", help="build in this environment, not an isolated one"
    )
    p.add_argument("--dry-run", action="store_true", help="build and check, then say what would be published")
    network_options(p)
    lock_option(p)
    python_option(p)
