"""Benchmark: `shipyard plan` on a big repository, side by side with its peers.

1. A repository of 5,000 commits and 500 annotated tags is written in one `git fast-import` stream
   (deterministic: seeded messages, one minute between commits): a small hatchling project whose
   commits follow Conventional Commits (about 60% fix, 25% feat, 10% chore/docs/refactor, 5%
   breaking, some with bodies). Every tagged commit is a `chore(release): X.Y.Z` that sets the
   pyproject version, the versions walking semver as the commits bump it; 10 commits follow the last
   tag, so the expected next version is known and printed.
2. Each tool is asked for the next version, each run a fresh process, wall clock: one untimed
   warm-up each, then medians of N rounds with the tools interleaved within each round.
   - shipyard: `python -m shipyard plan --json -C REPO`
   - python-semantic-release 10: `semantic-release --noop version --print`
   - commitizen 4: `cz bump --get-next`
   The peers live in a venv of their own, made once under ~/.cache/shipyard-bench/peers-venv; their
   config is in the repository's pyproject (semantic-release's remote.url an inert local path, as it
   needs a remote it never contacts for --print). Neither changes the repository.

Target: `shipyard plan` answers in under 1 s. Missing it is a result, not an error: the exit code
is non-zero only when a command fails (the other tools are still timed).

Run: .venv/bin/python benchmarks/bench_plan.py [--rounds N] [--commits N] [--tags N] [--keep PATH]
     [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGET = 1.0  # seconds for `shipyard plan`
TAIL = 10  # commits after the last tag
START = 1_600_000_000  # the first commit's time; one minute more per commit
IDENT = b"Bench Author <bench@example.invalid>"
PEERS = ["python-semantic-release>=10,<11", "commitizen>=4,<5"]
VERSION = re.compile(r"^v?(\d+\.\d+\.\d+\S*)$")

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "bigrepo"
version = "{version}"
readme = "README.md"
requires-python = ">=3.9"

[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
tag_format = "v{{version}}"

[tool.semantic_release.remote]
# an inert path, never contacted (it only stands in for the missing `origin` remote)
url = "/nonexistent/bench/bigrepo.git"

[tool.semantic_release.branches.main]
match = "(main|master)"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "pep621"
tag_format = "v$version"
"""

SCOPES = ["cli", "config", "build", "index", "git", "upload", "verify", "cache"]
VERBS = ["handle", "support", "reject", "retry", "report", "parse", "skip", "cache", "validate", "log"]
THINGS = [
    "empty tags", "missing config", "slow indexes", "unicode paths", "large wheels", "stale locks",
    "duplicate files", "long histories", "network errors", "old pip versions", "nested scopes",
]  # fmt: skip
SENTENCES = [
    "The previous behaviour surprised users on large projects.", "This keeps the old output for scripts.",
    "Found while releasing the example twice in a row.", "Costs one extra stat call per file, noise.",
]  # fmt: skip


class CommandFailed(Exception):
    pass


def run(cmd: Sequence[str], cwd: Path | None = None, stdin: bytes | None = None) -> str:
    proc = subprocess.run(list(cmd), cwd=cwd, input=stdin, capture_output=True, check=False)
    if proc.returncode:
        output = (proc.stdout + proc.stderr).decode(errors="replace").rstrip()
        raise CommandFailed(f"{' '.join(cmd)} exited with {proc.returncode}\n{output}")
    return proc.stdout.decode(errors="replace")


# ---------------------------------------------------------------- the repository


def message(rng: random.Random) -> tuple[str, int]:
    """A Conventional Commits message and its bump: 3 major, 2 minor, 1 patch, 0 none."""
    subject, scope, r = f"{rng.choice(VERBS)} {rng.choice(THINGS)}", rng.choice(SCOPES), rng.random()
    body = ["\n".join(rng.sample(SENTENCES, rng.randint(1, 3)))] if rng.random() < 0.3 else []
    if r < 0.60:
        head, bump = f"fix: {subject}", 1
    elif r < 0.85:
        head, bump = f"feat({scope}): {subject}", 2
    elif r < 0.95:
        head, bump = f"{rng.choice(['chore', 'docs', 'refactor'])}: {subject}", 0
    elif r < 0.975:
        head, bump = f"feat!: {subject}", 3
    else:
        head, bump = f"fix({scope}): {subject}", 3
        body.append(f"BREAKING CHANGE: {rng.choice(THINGS)} are no longer accepted.")
    return "\n\n".join([head, *body]) + "\n", bump


def bumped(version: str, bump: int) -> str:
    """The version after a bump: 3 major, 2 minor, 1 patch, 0 none."""
    x, y, z = map(int, version.split("."))
    return ".".join(map(str, [(x, y, z), (x, y, z + 1), (x, y + 1, 0), (x + 1, 0, 0)][bump]))


def tag_positions(commits: int, tags: int) -> set[int]:
    """0-based commits to tag: the first, the one TAIL from the end, the rest evenly between."""
    last = commits - TAIL - 1
    return {k * last // max(tags - 1, 1) for k in range(tags)} if tags > 1 else {last}


def note_or_code(i: int, subject: str, rng: random.Random, notes: dict[str, str]) -> tuple[str, str]:
    """The one file an ordinary commit changes (notes: contents by path; the package's changes)."""
    if rng.random() < 0.3:
        notes["changes"] = str(int(notes.get("changes", "0")) + 1)
        return "src/bigrepo/__init__.py", f'"""bigrepo."""\n\nCHANGES = {notes["changes"]}\n'
    path = f"notes/{i % 100}.txt"
    notes[path] = notes.get(path, "") + f"{i}: {subject}\n"
    return path, notes[path]


def fast_import_stream(commits: int, tags: int) -> tuple[bytes, str, str]:
    """The stream, the last tag's version and the next version the tail's commits call for."""
    rng, positions = random.Random(0), tag_positions(commits, tags)
    out: list[bytes] = []
    notes: dict[str, str] = {}

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n%s\n" % (len(raw), raw))

    version, pending = "1.0.0", 0
    for i in range(commits):
        when = b"%d +0000" % (START + 60 * i)
        if i == 0:
            text, files = "chore: initial commit\n", {"README.md": "# bigrepo\n\nA long history.\n"}
            files["src/bigrepo/__init__.py"] = '"""bigrepo."""\n\nCHANGES = 0\n'
        elif i in positions:  # a release: the version the commits since the last one call for
            version, pending = bumped(version, max(pending, 1)), 0
            text, files = f"chore(release): {version}\n", {}
        else:
            text, bump = message(rng)
            pending = max(pending, bump)
            files = dict([note_or_code(i, text.splitlines()[0], rng, notes)])
        if i == 0 or i in positions:
            files["pyproject.toml"] = PYPROJECT.format(version=version)
        out.append(b"commit refs/heads/main\nmark :%d\n" % (i + 1))
        out.append(b"author %s %s\ncommitter %s %s\n" % (IDENT, when, IDENT, when))
        data(text)
        for path, content in files.items():
            out.append(f"M 100644 inline {path}\n".encode())
            data(content)
        if i in positions:
            out.append(b"tag v%s\nfrom :%d\ntagger %s %s\n" % (version.encode(), i + 1, IDENT, when))
            data(f"bigrepo {version}\n")
    return b"".join(out), version, bumped(version, pending)


def generate(repo: Path, commits: int, tags: int) -> tuple[str, str]:
    """Write the repository and check it; (last tag's version, expected next version)."""
    stream, last, expected = fast_import_stream(commits, tags)
    run(["git", "init", "-q", "--initial-branch=main", str(repo)])
    run(["git", "fast-import", "--quiet", "--done"], cwd=repo, stdin=stream + b"done\n")
    run(["git", "reset", "-q", "--hard", "main"], cwd=repo)
    counted = int(run(["git", "rev-list", "--count", "HEAD"], cwd=repo))
    tagged = len(run(["git", "tag"], cwd=repo).split())
    branch = run(["git", "branch", "--show-current"], cwd=repo).strip()
    if (counted, tagged, branch) != (commits, tags, "main"):
        raise CommandFailed(f"the repository has {counted} commits, {tagged} tags, branch {branch!r}")
    return last, expected


# ---------------------------------------------------------------- the tools


def peers_venv() -> Path:
    """The peers' own venv, made once and reused; its bin folder."""
    venv = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shipyard-bench" / "peers-venv"
    bin_dir = venv / "bin"
    if not ((bin_dir / "semantic-release").exists() and (bin_dir / "cz").exists()):
        print(f"installing {', '.join(PEERS)} into {venv}", flush=True)
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEERS])
    return bin_dir


@dataclass
class Tool:
    label: str
    cmd: list[str]
    runs: list[float] = field(default_factory=list)
    next_version: str | None = None
    error: str | None = None


def tools(repo: Path, peers: Path) -> dict[str, Tool]:
    return {
        "shipyard": Tool("shipyard plan --json", [sys.executable, "-m", "shipyard", "plan", "--json", "-C",
                                                  str(repo)]),
        "semantic-release": Tool("semantic-release --noop version --print",
                                 [str(peers / "semantic-release"), "--noop", "version", "--print"]),
        "commitizen": Tool("cz bump --get-next", [str(peers / "cz"), "bump", "--get-next"]),
    }  # fmt: skip


def read_version(name: str, stdout: str) -> str | None:
    if name == "shipyard":
        answer = json.loads(stdout)
        if answer.get("ok") is False:
            raise ValueError("ok is false")
        version = (answer.get("packages") or [{}])[0].get("next_version")
        return None if version is None else str(version)
    found = [m.group(1) for line in stdout.splitlines() if (m := VERSION.match(line.strip()))]
    return found[-1] if found else None


def time_once(name: str, tool: Tool, repo: Path, env: dict[str, str]) -> None:
    start = time.perf_counter()
    proc = subprocess.run(tool.cmd, cwd=repo, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    out, err = (proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))
    try:
        if proc.returncode:
            raise ValueError(f"exit {proc.returncode}")
        tool.next_version = read_version(name, out)
        tool.runs.append(elapsed)
    except (ValueError, AttributeError, IndexError, TypeError) as exc:
        tool.error = f"{exc}\nstderr: {err.strip()}\nstdout: {out.strip()[:2000]}"
        print(f"FAILED {tool.label}: {tool.error}", file=sys.stderr, flush=True)


def bench(all_tools: dict[str, Tool], repo: Path, rounds: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and k != "VIRTUAL_ENV"}
    env["GIT_TERMINAL_PROMPT"] = "0"
    for name, tool in all_tools.items():  # warm-up, untimed; a tool that fails here is dropped
        time_once(name, tool, repo, env)
        tool.runs.clear()
    for i in range(rounds):
        live = {n: t for n, t in all_tools.items() if not t.error}
        for name, tool in live.items():
            time_once(name, tool, repo, env)
        times = ", ".join(f"{n} {t.runs[-1]:.3f} s" for n, t in live.items() if not t.error)
        print(f"round {i + 1}/{rounds}: {times}", flush=True)


# ---------------------------------------------------------------- report


def figures(all_tools: dict[str, Tool], meta: dict[str, Any]) -> dict[str, Any]:
    medians = {name: statistics.median(t.runs) if t.runs else None for name, t in all_tools.items()}
    base, rows = medians["shipyard"], {}
    for name, t in all_tools.items():
        median = medians[name]
        ratio = median / base if base and median is not None else None
        rows[name] = {"command": t.label, "median": median, "runs": t.runs, "ratio_vs_shipyard": ratio,
                      "next_version": t.next_version, "error": t.error}  # fmt: skip
    met = None if base is None else base < TARGET
    return {**meta, "tools": rows, "target_seconds": TARGET, "target_met": met}


def report(data: dict[str, Any]) -> None:
    print(
        f"\n`plan` on {data['commits']} commits and {data['tags']} annotated tags (generated in "
        f"{data['generation_seconds']:.2f} s), medians of {data['rounds']} interleaved rounds, one warm-up"
    )
    print(f"last tag v{data['last_tag']}; next version the tail's commits call for: {data['expected_next']}")
    print(f"{'command':<42}{'median s':>10}{'vs shipyard':>13}   next version")
    print("-" * 80)
    for t in data["tools"].values():
        median = "FAILED" if t["median"] is None else f"{t['median']:.3f}"
        ratio = "-" if t["ratio_vs_shipyard"] is None else f"{t['ratio_vs_shipyard']:.2f}x"
        print(f"{t['command']:<42}{median:>10}{ratio:>13}   {t['next_version'] or '-'}")
    met = data["target_met"]
    verdict = "n/a (shipyard plan failed)" if met is None else ("PASS" if met else "FAIL")
    print(f"\n{verdict}  shipyard plan < {TARGET:g} s")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per tool (default: 5)")
    parser.add_argument("--commits", type=int, default=5000, help="commits in the repository (default: 5000)")
    parser.add_argument("--tags", type=int, default=500, help="annotated tags (default: 500)")
    parser.add_argument("--keep", type=Path, metavar="PATH", help="make the repository at PATH, keep it")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.tags < 1:
        parser.error("--rounds and --tags must be at least 1")
    if args.commits < args.tags + TAIL + 1:
        parser.error(f"--commits must be at least --tags + {TAIL + 1}")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: not empty")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-plan-") as tmp:
        repo = args.keep.resolve() if args.keep else Path(tmp) / "bigrepo"
        try:
            peers = peers_venv()
            start = time.perf_counter()
            last, expected = generate(repo, args.commits, args.tags)
        except CommandFailed as exc:
            print(f"benchmark aborted: {exc}", file=sys.stderr)
            return 1
        generation = time.perf_counter() - start
        print(f"generated {repo} in {generation:.2f} s", flush=True)
        all_tools = tools(repo, peers)
        bench(all_tools, repo, args.rounds)
    meta = {"commits": args.commits, "tags": args.tags, "rounds": args.rounds, "last_tag": last}
    data = figures(all_tools, {**meta, "generation_seconds": generation, "expected_next": expected})
    report(data)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if any(t.error for t in all_tools.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
