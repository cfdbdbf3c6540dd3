"""The command line: parse arguments, call the library, render its events and results.

The one place that prints and exits. Imports of the library happen inside the commands, so that
`shipyard --help` starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard import __version__

if TYPE_CHECKING:
    from shipyard.config import Config, Repository
    from shipyard.dists import Dist
    from shipyard.events import Event

EPILOG = """\
exit codes: 0 done (also: already published, identical), 1 a release step failed,
            2 usage or configuration error, 3 nothing to release
configuration: [tool.shipyard] in pyproject.toml; every option also has a SHIPYARD_* variable
credentials: SHIPYARD_<REPO>_TOKEN or SHIPYARD_<REPO>_USERNAME/_PASSWORD, TWINE_USERNAME/
             TWINE_PASSWORD, .env (never tracked by git), keyring, ~/.pypirc
"""


def _env(option: str) -> str:
    return "SHIPYARD_" + option.upper().replace("-", "_")


def _flag(parser: argparse.ArgumentParser, name: str, text: str, env: str = "", **kw: Any) -> None:
    """An option with a SHIPYARD_* variable (shown in --help; config.load reads it)."""
    parser.add_argument(name, help=f"{text} [env: {env or _env(name.lstrip('-'))}]", **kw)


class Renderer:
    """Turns library events into terminal lines (or collects them for --json)."""

    def __init__(self, as_json: bool, verbose: bool) -> None:
        self.as_json = as_json
        self.verbose = verbose
        self.warnings: list[str] = []
        self._bar: Any = None
        self._finished: set[str] = set()
        self._tty = sys.stderr.isatty()

    def __call__(self, event: Event) -> None:
        from shipyard.secrets import redact

        message = redact(event.message)
        if event.kind == "warning":
            self.warnings.append(message)
        if self.as_json:
            return
        if event.kind == "progress":
            self._progress(message, event.data["done"], event.data["total"])
        elif event.kind == "step":
            self.close()
            print(f"==> {message}", flush=True)
        elif event.kind == "warning":
            print(f"warning: {message}", file=sys.stderr, flush=True)
        else:
            print(f"    {message}", flush=True)

    def _progress(self, name: str, done: int, total: int) -> None:
        if not self._tty or name in self._finished:
            return
        if self._bar is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

            self._bar = Progress(
                "    {task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True
            )
            self._bar.start()
            self._task = self._bar.add_task(name, total=total)
        self._bar.update(self._task, completed=done)
        if done >= total:
            self._finished.add(name)  # the encoder reports the end more than once
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def result(self, command: str, data: dict[str, Any], summary: str) -> None:
        from shipyard.secrets import redact

        self.close()
        if self.as_json:
            doc = {"ok": True, "command": command, **data, "warnings": self.warnings}
            print(redact(json.dumps(doc, indent=2)))
        else:
            print(redact(summary))


# ---------------------------------------------------------------- helpers shared by commands


def _config(args: argparse.Namespace, **flags: Any) -> Config:
    from shipyard import config

    return config.load(Path(args.project), environ=os.environ, flags=flags)


def _dists(args: argparse.Namespace, cfg: Config) -> list[Dist]:
    from shipyard.dists import identify, read_manifest

    if getattr(args, "files", None):
        return [identify(Path(f)) for f in args.files]
    return read_manifest(cfg.dist_dir)


def _repository(args: argparse.Namespace, cfg: Config, name: str | None) -> Repository:
    from shipyard.config import repository_for_url

    if args.repository_url:
        return repository_for_url(name or "custom", args.repository_url, args.simple_url)
    return cfg.repository(name or cfg.stages[0])


def _python(args: argparse.Namespace) -> str:
    return str(getattr(args, "python", None) or sys.executable)


# ---------------------------------------------------------------- commands


def cmd_build(args: argparse.Namespace, out: Renderer) -> int:
    import tempfile

    from shipyard.build import build

    cfg = _config(args, **{"dist-dir": args.out})
    with tempfile.TemporaryDirectory(prefix="shipyard-dry-") as tmp:
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
    from shipyard.check import check

    cfg = _config(args, **{"dist-dir": args.dist_dir})
    dists = _dists(args, cfg)
    public = any(cfg.repository(s).public for s in ([args.to] if args.to else cfg.stages))
    report = check(dists, public=public, emit=out)
    out.result(
        "check",
        {"files": [d.filename for d in dists], "warnings_found": report.warnings},
        f"{len(dists)} files are fit to publish",
    )
    return 0


def cmd_test_install(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.testinstall import test_install

    cfg = _config(args, **{"dist-dir": args.dist_dir})
    result = test_install(
        _dists(args, cfg),
        cfg.root,
        python=_python(args),
        deps=not args.no_deps,
        run_tests=not args.no_tests,
        emit=out,
    )
    tests = {"passed": "its tests pass", "none": "no tests to run"}[result.tests]
    out.result("test-install", result.as_json(), f"{result.wheel} installs and imports; {tests}")
    return 0


def cmd_publish(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.index import credentials
    from shipyard.publish import publish

    cfg = _config(args, **{"dist-dir": args.dist_dir, "allow-unverified": args.allow_unverified or None})
    repo = _repository(args, cfg, args.to)
    cred = credentials.resolve(repo, cfg.root, os.environ)
    dists = _dists(args, cfg)
    outcomes = publish(
        dists, repo, cred, dry_run=args.dry_run, allow_unverified=cfg.allow_unverified, emit=out
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
    from shipyard.verify import Verified, verify, verify_published

    cfg = _config(args, **{"dist-dir": args.dist_dir, "verify-timeout": args.timeout})
    repo = _repository(args, cfg, args.on)
    cred = credentials.resolve(repo, cfg.root, os.environ)
    install, python = not args.no_install, _python(args)
    build = _last_build(args, cfg)
    result: Verified
    if build is not None and args.version in (None, build[1][1]):
        dists, (name, version) = build
        result = verify(
            dists, repo, cred, timeout=cfg.verify_timeout, install=install, python=python, emit=out
        )
        said = "exactly as built"
    else:
        name, version = _project_name(cfg), args.version
        result = verify_published(
            repo, name, version, cred, timeout=cfg.verify_timeout, install=install, python=python, emit=out
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
        dists = _dists(args, cfg)
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


def _version_config(args: argparse.Namespace) -> Config:
    return _config(args, tag=args.tag_pattern, **{"commit-parser": getattr(args, "parser", None)})


def cmd_version(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.target import current

    now = current(_version_config(args), isolated=not args.no_isolation)
    last = f"; last release {now.last.tag}" if now.last else "; not released yet (no matching tag)"
    out.result("version", now.as_json(), f"{now.name} {now.version} (from {now.source}{last})")
    return 0


def _packaging_repo(args: argparse.Namespace) -> Any:
    """The packaging repository at --project, or None for a single project."""
    from shipyard.packrepo import layout

    root = Path(args.project)
    if getattr(args, "changed", False) or (
        layout.is_packaging_repo(root) and not (root / "pyproject.toml").is_file()
    ):
        return layout.load(root)
    return None


def _repo_rules(args: argparse.Namespace, repo: Any) -> Any:
    from shipyard.packrepo import settings
    from shipyard.target import rules

    flags = {"tag": args.tag_pattern, "commit-parser": getattr(args, "parser", None)}
    return rules(settings.load(repo, os.environ, flags))


def cmd_plan_changed(args: argparse.Namespace, out: Renderer, repo: Any) -> int:
    from shipyard.packrepo.changes import survey

    packages = survey(repo, _repo_rules(args, repo), pre=args.pre)
    lines = [f"{len(packages)} package{'s' if len(packages) != 1 else ''} to release ({repo.source})"]
    for p in packages:
        assert p.plan is not None
        last = p.last.tag if p.last else "new"
        lines.append(f"  {p.name}: {last} -> {p.version} ({p.plan.reason}; {len(p.changed)} files changed)")
    out.result("plan", {"packages": [p.as_json() for p in packages]}, "\n".join(lines))
    return 0


def cmd_assemble(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.packrepo import layout
    from shipyard.packrepo.assemble import assemble
    from shipyard.packrepo.changes import FIRST_VERSION, survey
    from shipyard.reproducible import source_date_epoch

    repo = layout.load(Path(args.project))
    modules = [repo.module(n) for n in args.names] if args.names else repo.modules()
    if args.version and len(modules) != 1:
        raise _usage("--version goes with exactly one NAME")
    known = (
        {} if args.version else {p.name: p for p in survey(repo, _repo_rules(args, repo), only_changed=False)}
    )
    versions = {n: p.version or (str(p.last.version) if p.last else FIRST_VERSION) for n, p in known.items()}
    epoch = source_date_epoch(repo.root) if args.build else None
    done, lines = [], []
    for module in modules:
        version = args.version or versions[module.name]
        built = assemble(repo, module, version, repo.root / args.out / module.import_name, versions)
        data = built.as_json()
        lines.append(f"assembled {built.name} {version} in {built.tree}")
        if args.build:
            from shipyard.packrepo.inprocess import build_tree

            dists = build_tree(built.tree, repo.root / "dist" / module.import_name, epoch)
            data["dists"] = [d.as_json() for d in dists]
            lines += [f"  {d.filename}  sha256:{d.sha256}" for d in dists]
        done.append(data)
    doc = done[0] if len(done) == 1 else {"packages": done}
    out.result("assemble", doc, "\n".join(lines))
    return 0


def _repo_or_fail(args: argparse.Namespace) -> Any:
    from shipyard.packrepo import layout

    root = Path(args.project)
    if not layout.is_packaging_repo(root):
        raise _usage(
            f"{root.resolve()} is no packaging repository (no {layout.CONFIG} or {layout.PAA_CONFIG}): "
            "run shipyard init --packaging-repo"
        )
    return layout.load(root)


def cmd_status(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.packrepo import settings
    from shipyard.packrepo.status import status

    repo = _repo_or_fail(args)
    rows = status(repo, settings.load(repo, os.environ, {"tag": args.tag_pattern}), os.environ)
    lines = []
    for row in rows:
        p = row.package
        last = f"{p.last.version} ({p.last.tag})" if p.last else "not released"
        change = f", {len(p.changed)} files changed -> {p.version}" if p.version else ""
        served = "; ".join(
            f"{n}: {', '.join(v) if v else '-'}" if v is not None else f"{n}: unreadable"
            for n, v in row.on_index.items()
        )
        lines.append(f"{p.name}: {last}{change}; {served}")
    out.result("status", {"packages": [r.as_json() for r in rows]}, "\n".join(lines) or "no modules yet")
    return 0


def cmd_init(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.packrepo import scaffold

    if not args.packaging_repo:
        raise _usage("init makes a packaging repository: shipyard init --packaging-repo [PATH]")
    made = scaffold.init(Path(args.project))
    summary = f"made {', '.join(made)}" if made else "nothing to make: the layout is there"
    out.result("init", {"made": made}, summary)
    return 0


def cmd_new(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.packrepo import scaffold

    made = scaffold.new(_repo_or_fail(args), args.name, args.description)
    out.result("new", {"made": made}, f"made {', '.join(made)}")
    return 0


def cmd_run_api(args: argparse.Namespace, out: Renderer) -> int:
    """Serve a package's routes from the repository's current code (assembled, not installed)."""
    import importlib

    from shipyard.packrepo import layout
    from shipyard.packrepo.assemble import assemble

    repo = layout.load(Path(args.project))
    module = repo.module(args.name)
    if not (repo.folder("api") / f"{module.import_name}.py").is_file():
        raise _usage(
            f"{module.name} has no routes: add {repo.layout.api}/{module.import_name}.py with a router"
        )
    built = assemble(repo, module, "0.0.0.dev0", repo.root / "build" / module.import_name)
    sys.path.insert(0, str(built.tree))
    try:
        importlib.import_module("fastapi")
        importlib.import_module("uvicorn")
    except ImportError as exc:
        raise _usage(
            f"run-api needs fastapi and uvicorn beside shipyard ({exc}): pip install fastapi uvicorn"
        ) from None
    server = importlib.import_module(f"{module.import_name}._api")
    print(
        f"serving {module.name}'s routes on http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr
    )
    server.main(["--host", args.host, "--port", str(args.port)])
    return 0


def cmd_plan(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard import versionsource
    from shipyard.config import read_pyproject
    from shipyard.plan import make_plan
    from shipyard.target import BUMPS, project_name, rules

    if (repo := _packaging_repo(args)) is not None:
        return cmd_plan_changed(args, out, repo)
    cfg = _version_config(args)
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


def cmd_release_changed(args: argparse.Namespace, out: Renderer, repo: Any, options: Any) -> int:
    from shipyard.packrepo import settings
    from shipyard.packrepo.release import release_changed

    flags = {
        "stages": args.stages,
        "tag": args.tag_pattern,
        "commit-parser": args.parser,
        "test-install": False if args.no_test_install else None,
        "verify-install": False if args.no_verify_install else None,
        "allow-unverified": args.allow_unverified or None,
        "verify-timeout": args.timeout,
    }
    if args.tag is not None or args.bump is not None:
        raise _usage(
            "--changed releases each changed package at the version its commits call for: "
            "drop --tag and --bump"
        )
    result = release_changed(repo, settings.load(repo, os.environ, flags), os.environ, options, emit=out)
    done = "would release" if args.dry_run else "released"
    names = ", ".join(f"{r.package.name} {r.version}" for r in result.released if r.verified or args.dry_run)
    summary = f"{done} {names or 'nothing'}" + (f"; tagged {', '.join(result.tags)}" if result.tags else "")
    if result.error is not None:
        if names:
            print(f"{done} {names} before the failure", file=sys.stderr)
        raise result.error
    out.result("release", {**result.as_json(), "dry_run": args.dry_run}, summary)
    return 0


def _usage(message: str) -> Exception:
    from shipyard.errors import UsageError

    return UsageError(message)


def cmd_release(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.release import Options, release
    from shipyard.target import Trigger

    if (repo := _packaging_repo(args)) is not None:
        trigger = Trigger(
            pre=args.pre, if_branch=args.if_branch, allow_dirty=args.allow_dirty, push=args.push
        )
        options = Options(python=_python(args), dry_run=args.dry_run, trigger=trigger)
        return cmd_release_changed(args, out, repo, options)

    cfg = _config(
        args,
        stages=args.stages,
        **{
            "test-install": False if args.no_test_install else None,
            "verify-install": False if args.no_verify_install else None,
            "allow-unverified": args.allow_unverified or None,
            "verify-timeout": args.timeout,
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
        python=_python(args), dry_run=args.dry_run, isolated=not args.no_isolation, trigger=trigger
    )
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


# ---------------------------------------------------------------- parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        default=bool(os.environ.get("SHIPYARD_JSON")),
        help="print one JSON document on stdout instead of progress lines [env: SHIPYARD_JSON]",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show the full output of a failed step")
    p.add_argument("--debug", action="store_true", help="show a traceback for every error")
    p.add_argument("-C", "--project", default=".", metavar="PATH", help="the project folder (default: .)")


def _dist_options(p: argparse.ArgumentParser) -> None:
    _flag(p, "--dist-dir", "folder holding the last build (default: dist)", metavar="DIR")
    p.add_argument("files", nargs="*", metavar="FILE", help="dists to use instead of the last build's")


def _repo_options(p: argparse.ArgumentParser, name: str, text: str) -> None:
    p.add_argument(
        name,
        metavar="NAME",
        default=os.environ.get(_env(name.lstrip("-"))),
        help=f"{text} (default: the first stage) [env: {_env(name.lstrip('-'))}]",
    )
    _flag(
        p,
        "--repository-url",
        "a one-off upload URL instead of a named repository",
        metavar="URL",
        default=os.environ.get("SHIPYARD_REPOSITORY_URL"),
    )
    _flag(
        p,
        "--simple-url",
        "the simple index URL that goes with --repository-url",
        metavar="URL",
        default=os.environ.get("SHIPYARD_SIMPLE_URL"),
    )


def _version_options(p: argparse.ArgumentParser) -> None:
    _flag(
        p,
        "--tag-pattern",
        'how release tags are spelled (default: "v{version}")',
        env="SHIPYARD_TAG",
        metavar="PATTERN",
        default=None,
    )
    _flag(
        p,
        "--parser",
        "which commit messages decide bumps: conventional, paa ([pkg][.+.] notes) or both (default)",
        env="SHIPYARD_COMMIT_PARSER",
        choices=("both", "conventional", "paa"),
        default=None,
    )


def _bump_options(p: argparse.ArgumentParser, name: str, text: str) -> None:
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


def _python_option(p: argparse.ArgumentParser) -> None:
    _flag(
        p,
        "--python",
        "interpreter for the fresh venvs (default: the one running shipyard)",
        metavar="PATH",
        default=os.environ.get("SHIPYARD_PYTHON"),
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="shipyard",
        description="Release Python packages as simply and as safely as pushing a tag.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"shipyard {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, func: Callable[[argparse.Namespace, Renderer], int], text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        _common(p)
        return p

    p = command("build", cmd_build, "build the sdist and wheel (PEP 517, isolated, reproducible)")
    p.add_argument("path", nargs="?", help="the project folder (default: --project or .)")
    _flag(p, "--out", "output folder (default: dist)", env="SHIPYARD_DIST_DIR", metavar="DIR", dest="out")
    p.add_argument(
        "--no-isolation", action="store_true", help="build in this environment, not an isolated one"
    )
    p.add_argument("--dry-run", action="store_true", help="build in a temporary folder, leave dist/ alone")

    p = command("check", cmd_check, "check the built files are fit for the target index")
    p.add_argument("--to", metavar="NAME", help="the repository the files are for (default: every stage)")
    _dist_options(p)

    p = command(
        "test-install", cmd_test_install, "install the wheel in a fresh venv, import it, run the tests"
    )
    p.add_argument("--no-deps", action="store_true", help="install the wheel without its dependencies")
    p.add_argument("--no-tests", action="store_true", help="only install and import, do not run the tests")
    _python_option(p)
    _dist_options(p)

    p = command("publish", cmd_publish, "upload the build to a repository, idempotently, never overwriting")
    _repo_options(p, "--to", "the repository to upload to")
    p.add_argument(
        "--allow-unverified",
        action="store_true",
        help="upload even when the index cannot be read first [env: SHIPYARD_ALLOW_UNVERIFIED]",
    )
    p.add_argument("--dry-run", action="store_true", help="read the index and say what would be uploaded")
    _dist_options(p)

    p = command(
        "verify", cmd_verify, "prove the index serves the build exactly, and that it installs from there"
    )
    _repo_options(p, "--on", "the repository to verify")
    p.add_argument(
        "--version",
        metavar="V",
        help="the version to verify (default: the last build's; another version is "
        "verified against the hashes the index lists)",
    )
    _flag(
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
    _python_option(p)
    _dist_options(p)

    p = command("version", cmd_version, "print the project's version and where it comes from")
    _version_options(p)
    p.add_argument(
        "--no-isolation", action="store_true", help="ask the backend in this environment (dynamic versions)"
    )

    p = command("plan", cmd_plan, "say what the next release is and why, from tags and commit messages")
    _version_options(p)
    _bump_options(p, "--bump", "preview a forced bump instead of the one the commits decide")
    p.add_argument(
        "--changed",
        action="store_true",
        help="a packaging repository: every package changed since its last tag (the default where "
        "shipyard.toml or .paa.config is found and no pyproject.toml)",
    )

    p = command(
        "run-api", cmd_run_api, "serve a packaging-repository package's FastAPI routes from its source"
    )
    p.add_argument("name", metavar="NAME", help="the module whose api/NAME.py to serve")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")

    p = command(
        "status", cmd_status, "every package of a packaging repository: tags, changes, index versions"
    )
    _version_options(p)

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
    _version_options(p)

    p = command("release", cmd_release, "build, check, test-install, then publish and verify stage by stage")
    p.add_argument("--stages", metavar="A,B", help="repositories in release order [env: SHIPYARD_STAGES]")
    _version_options(p)
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
    _bump_options(
        p,
        "--bump",
        "release the next version from the commits (or the bump given), write it and the changelog, "
        "then commit and tag once verified",
    )
    _flag(
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
    _flag(
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
    _python_option(p)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "path", None):
        args.project = args.path
    out = Renderer(args.json, args.verbose)
    try:
        code: int = args.func(args, out)
        return code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `shipyard plan | head`: the reader left, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        return _fail(exc, args, out)


def _fail(exc: Exception, args: argparse.Namespace, out: Renderer) -> int:
    import traceback

    from shipyard.errors import ShipyardError
    from shipyard.secrets import redact

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
        print(
            redact(
                json.dumps(
                    {
                        "ok": False,
                        "command": args.command,
                        "error": message,
                        "exit_code": code,
                        "warnings": out.warnings,
                    },
                    indent=2,
                )
            )
        )
    print(redact(f"error: {' '.join(message.split())}"), file=sys.stderr)
    return code
