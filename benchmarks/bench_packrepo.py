"""Benchmark: shipyard on packaging repositories (one package per module in modules/NAME.py).

1. Start-up: `shipyard --help`, `plan --help`, `release --help`, `assemble --help`, each a fresh
   `python -m shipyard` process; beside them package-auto-assembler's `paa --help`, installed once
   into ~/.cache/shipyard-bench/paa-venv (skipped with a note when the install fails or takes over
   5 minutes, or with --skip-peer).
2. Assemble: a generated repository of N modules (30-80 lines of stdlib code each; a third import a
   component, a fifth a third-party package installed here, a few a sibling module, have a CLI or
   data files) is assembled and built, sdist and wheel of every package, by
   `shipyard assemble --build --json`; build/ and dist/ are deleted (untimed) before each run.
   Every package's dists, components, scripts and requirements are checked against the generator.
3. Change detection: a generated repository of N small modules, every package tagged
   `{package}-v1.0.0` (one `git update-ref --stdin`), then one `fix:` commit changing 20 modules
   and a component a thirtieth of the modules import; `shipyard plan --json` must list exactly
   those modules and importers, each at 1.0.1 (anything else fails the benchmark).

Every command: one untimed warm-up, then medians of N wall-clock rounds, interleaved within a round.
Targets: start-up < 0.3 s, assemble --build of 100 modules < 5 s, plan of 1,000 packages < 1 s.
Missing a target is a result: the exit code is non-zero only when a command or a check fails.

Run: .venv/bin/python benchmarks/bench_packrepo.py [--rounds N] [--modules N] [--packages N]
     [--skip-peer] [--keep PATH] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGETS = {"start-up": 0.3, "assemble": 5.0, "plan": 1.0}  # seconds
SHIPYARD = [sys.executable, "-m", "shipyard"]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
INSTALL_TIMEOUT = 300.0
# import line, code using it, distribution; requests_toolbelt is in no built-in table of shipyard's:
# it resolves through the installed distributions' metadata
THIRD_PARTY = [
    ("from packaging.version import Version", "return Version(a) > Version(b)", "packaging"),
    ("import requests", "return bool(requests.codes.ok) and a != b", "requests"),
    ("from rich.text import Text", "return Text(a).plain != b", "rich"),
    ("import tomlkit", "return tomlkit.dumps({'a': a}) != b", "tomlkit"),
    ("from requests_toolbelt import MultipartEncoder", "return MultipartEncoder is not None and a < b",
     "requests-toolbelt"),
]  # fmt: skip
STDLIB_BLOCKS = [
    "def dump_{k}(data: dict) -> str:\n    return json.dumps(data, sort_keys=True, indent=2)\n",
    "def env_{k}(name: str, default: str = '') -> str:\n    value = os.environ.get(name, default)\n"
    "    return value.strip()\n",
    "_WORD_{k} = re.compile(r'[a-z]+')\n\n\ndef words_{k}(text: str) -> list[str]:\n"
    "    return _WORD_{k}.findall(text.lower())\n",
    "@dataclass\nclass Record{k}:\n    name: str\n    size: int = 0\n"
    "    tags: list[str] = field(default_factory=list)\n\n    def describe(self) -> str:\n"
    "        return f'{{self.name}} ({{self.size}})'\n",
    "def total_{k}(values: list[int]) -> int:\n    result = 0\n    for value in values:\n"
    "        if value > 0:\n            result += value\n        else:\n            result -= 1\n"
    "    return result\n",
    "class Counter{k}:\n    def __init__(self) -> None:\n        self.seen: dict[str, int] = {{}}\n\n"
    "    def add(self, key: str) -> int:\n        self.seen[key] = self.seen.get(key, 0) + 1\n"
    "        return self.seen[key]\n",
]
HELPERS = '"""Small helpers shared by the modules."""\n\n\ndef slugify(text: str) -> str:\n' \
    '    return "-".join(text.lower().split())\n\n\ndef chunked(items: list, size: int) -> list[list]:\n' \
    "    return [items[i : i + size] for i in range(0, len(items), size)]\n"  # fmt: skip


class CommandFailed(Exception):
    pass


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV" and not k.startswith("SHIPYARD_")}
    return {**env, "GIT_TERMINAL_PROMPT": "0"}


def run(cmd: Sequence[str], cwd: Path | None = None, stdin: bytes | None = None, timeout: float = 600) -> str:
    proc = subprocess.run(list(cmd), cwd=cwd, input=stdin, capture_output=True, env=clean_env(),
                          timeout=timeout, check=False)  # fmt: skip
    if proc.returncode:
        output = (proc.stdout + proc.stderr).decode(errors="replace").rstrip()
        raise CommandFailed(f"{' '.join(cmd)} exited with {proc.returncode}\n{output[-3000:]}")
    return proc.stdout.decode(errors="replace")


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def git_init(repo: Path) -> None:
    write(repo, "shipyard.toml", 'stages = ["local"]\n')
    run([*GIT, "init", "-q", "--initial-branch=main", str(repo)])
    run([*GIT, "add", "-A"], cwd=repo)
    run([*GIT, "commit", "-qm", "chore: initial commit"], cwd=repo)


# ---------------------------------------------------------------- the repositories


@dataclass
class Expected:  # what the assembled package of one module must show
    requirements: set[str] = field(default_factory=set)
    components: list[str] = field(default_factory=list)
    script: bool = False


def module_source(i: int, rng: random.Random, exp: Expected) -> str:
    """A module of 30-80 lines; `exp` gets what it should require."""
    head = ["import json", "import os", "import re", "from dataclasses import dataclass, field"]
    body = [f"def describe() -> str:\n    return 'module {i}'\n"]
    if i % 3 == 0:
        head.append("from components.helpers import chunked, slugify")
        body.append(f"def slug_{i}(text: str) -> list[list]:\n    return chunked([slugify(text)], 2)\n")
        exp.components = ["helpers"]
    if i % 5 == 1:
        line, code, dist = THIRD_PARTY[(i // 5) % len(THIRD_PARTY)]
        head.append(line)
        body.append(f"def newer(a: str, b: str) -> bool:\n    {code}\n")
        exp.requirements.add(dist)
    if i % 12 == 7:  # a sibling of a lower number: no cycles
        head.append(f"import mod_{i // 2:03d}")
        body.append(f"def sibling() -> str:\n    return mod_{i // 2:03d}.describe()\n")
        exp.requirements.add(f"mod-{i // 2:03d}")
    lines, k = rng.randint(30, 80), 0
    while len("\n\n".join(body).splitlines()) + len(head) + 4 < lines:
        body.append(STDLIB_BLOCKS[rng.randrange(len(STDLIB_BLOCKS))].format(k=k))
        k += 1
    return f'"""Generated module {i}: utilities number {i} for the benchmark."""\n\n' + "\n".join(head) \
        + "\n\n\n" + "\n\n".join(body)  # fmt: skip


def make_assemble_repo(repo: Path, count: int) -> dict[str, Expected]:
    rng, expected = random.Random(0), {}
    write(repo, "modules/components/helpers.py", HELPERS)
    for i in range(count):
        name = f"mod_{i:03d}"
        exp = expected[name.replace("_", "-")] = Expected()
        write(repo, f"modules/{name}.py", module_source(i, rng, exp))
        if i % 20 == 3:
            exp.script = True
            cli = f"import argparse\n\nfrom {name} import describe\n\n\ndef main() -> None:\n" \
                "    argparse.ArgumentParser().parse_args()\n    print(describe())\n"  # fmt: skip
            write(repo, f"cli/{name}.py", cli)
        if i % 20 == 11:
            for j in range(3):
                write(repo, f"data/{name}/item_{j}.json", json.dumps({"module": i, "item": j}) + "\n")
    git_init(repo)
    return expected


def make_plan_repo(repo: Path, count: int) -> set[str]:
    """Tagged at 1.0.0, then one commit; the names plan must list."""
    components = ["helpers", "text", "numbers"]
    for c in components:
        write(repo, f"modules/components/{c}.py", f'"""The {c} component."""\n\n\ndef {c}_id() -> str:\n'
              f'    return "{c}"\n')  # fmt: skip
    importers: dict[str, list[str]] = {c: [] for c in components}
    for i in range(count):
        name, lines = f"mod_{i:03d}", [f'"""Small module {i}: text and numbers."""', "", "import json", ""]
        if i % 10 == 0:
            comp = components[(i // 10) % 3]
            lines[2:2] = [f"from components.{comp} import {comp}_id"]
            importers[comp].append(f"mod-{i:03d}")
        lines += ["", f"def value_{i}() -> str:", f"    return json.dumps({{'n': {i}, 'text': 'x'}})", ""]
        lines += ["", "def double(n: int) -> int:", "    if n < 0:", "        return 0", "    return 2 * n"]
        write(repo, f"modules/{name}.py", "\n".join(lines) + "\n")
    git_init(repo)
    head = run(["git", "rev-parse", "HEAD"], cwd=repo).strip()
    refs = "".join(f"create refs/tags/mod-{i:03d}-v1.0.0 {head}\n" for i in range(count))
    run(["git", "update-ref", "--stdin"], cwd=repo, stdin=refs.encode())
    changed = [f"mod_{i:03d}" for i in range(5, count, max(count // 20, 1))][:20]
    for name in changed:
        with (repo / "modules" / f"{name}.py").open("a", encoding="utf-8") as f:
            f.write("\n\ndef added() -> int:\n    return 1\n")
    with (repo / "modules/components/text.py").open("a", encoding="utf-8") as f:
        f.write("\n\ndef shout(s: str) -> str:\n    return s.upper()\n")
    run([*GIT, "commit", "-qam", "fix: change 20 modules and the text component"], cwd=repo)
    return {n.replace("_", "-") for n in changed} | set(importers["text"])


# ---------------------------------------------------------------- the peer


def paa_venv(skip: bool) -> tuple[Path | None, str]:
    """package-auto-assembler's venv, made once and reused: (its paa, a note)."""
    if skip:
        return None, "skipped (--skip-peer)"
    venv = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shipyard-bench" / "paa-venv"
    paa = venv / "bin" / "paa"
    if paa.exists():
        return paa, f"reused {venv}"
    print(f"installing package-auto-assembler into {venv} (once; a big install)", flush=True)
    start = time.perf_counter()
    try:
        run([sys.executable, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        run([*pip, "package-auto-assembler"], timeout=INSTALL_TIMEOUT)
    except (CommandFailed, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"skipped: the install failed or took over {INSTALL_TIMEOUT:g} s: {str(exc)[:300]}"
    count = len(run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"]).split())
    return paa, f"installed {count} packages in {time.perf_counter() - start:.0f} s"


# ---------------------------------------------------------------- timing


@dataclass
class Series:
    label: str
    cmd: list[str]
    before: Callable[[], None] | None = None  # untimed, before each run
    check: Callable[[str], str | None] | None = None  # the run's stdout -> an error, or None
    runs: list[float] = field(default_factory=list)
    error: str | None = None
    found: str = ""  # what the last check saw

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


def time_once(s: Series) -> None:
    if s.before:
        s.before()
    start = time.perf_counter()
    proc = subprocess.run(s.cmd, capture_output=True, env=clean_env(), timeout=600, check=False)
    elapsed = time.perf_counter() - start
    out = proc.stdout.decode(errors="replace")
    if proc.returncode:
        s.error = f"exit {proc.returncode}\n{(out + proc.stderr.decode(errors='replace')).strip()[-3000:]}"
    elif s.check and (problem := s.check(out)):
        s.error = problem
    else:
        s.runs.append(elapsed)
    if s.error:
        print(f"FAILED {s.label}: {s.error}", file=sys.stderr, flush=True)


def bench(group: list[Series], rounds: int) -> None:
    for s in group:  # warm-up, untimed; a command that fails is dropped
        time_once(s)
        s.runs.clear()
    for i in range(rounds):
        live = [s for s in group if not s.error]
        for s in live:
            time_once(s)
        print(f"round {i + 1}/{rounds}: " + ", ".join(f"{s.label} {s.runs[-1]:.3f} s" for s in live
                                                      if not s.error), flush=True)  # fmt: skip


def clear_outputs(repo: Path) -> Callable[[], None]:
    def clear() -> None:
        for folder in ("build", "dist"):
            shutil.rmtree(repo / folder, ignore_errors=True)

    return clear


def req_name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0].lower().replace("_", "-")


def check_assemble(repo: Path, expected: dict[str, Expected], s: Series) -> Callable[[str], str | None]:
    def check(stdout: str) -> str | None:
        got = {p["name"]: p for p in json.loads(stdout)["packages"]}
        if set(got) != set(expected):
            return f"assembled {len(got)} packages, expected {len(expected)}"
        for name, exp in expected.items():
            p, folder = got[name], repo / "dist" / name.replace("-", "_")
            files = {d["filename"] for d in p["dists"]}
            seen = (
                {req_name(r) for r in p["requirements"]}, p["components"], bool(p["scripts"]),
                len(files), all((folder / f).is_file() for f in files),
            )  # fmt: skip
            if seen != (exp.requirements, exp.components, exp.script, 2, True):
                return f"{name}: got requirements/components/script/dists {seen}, expected {exp}"
        s.found = f"{len(got)} packages, {sum(len(p['dists']) for p in got.values())} dists"
        return None

    return check


def check_plan(expected: set[str], s: Series) -> Callable[[str], str | None]:
    def check(stdout: str) -> str | None:
        answer = json.loads(stdout)
        got = {p["name"]: p["next_version"] for p in answer.get("packages", [])}
        s.found = f"{len(got)} listed (expected {len(expected)})"
        if answer.get("ok") is not True or set(got) != expected or set(got.values()) != {"1.0.1"}:
            extra, missing = sorted(set(got) - expected), sorted(expected - set(got))
            wrong = sorted(n for n, v in got.items() if v != "1.0.1")
            return f"plan listed {len(got)}, expected {len(expected)}: extra {extra[:10]}, " \
                f"missing {missing[:10]}, not at 1.0.1 {wrong[:10]}"  # fmt: skip
        return None

    return check


# ---------------------------------------------------------------- report


def row(s: Series, target: float | None, base: Series | None = None) -> dict[str, Any]:
    m, b = s.median, base.median if base else None
    met = None if m is None or target is None else m < target
    return {"command": s.label, "median": m, "min": min(s.runs, default=None),
            "max": max(s.runs, default=None), "runs": s.runs, "target": target, "met": met,
            "ratio_vs_shipyard": m / b if m and b else None, "found": s.found, "error": s.error}  # fmt: skip


def report(data: dict[str, Any]) -> None:
    print(f"\nmedians of {data['rounds']} interleaved rounds after one warm-up; peer: {data['peer']}")
    print(f"{'command':<46}{'median s':>10}{'min':>8}{'max':>8}{'target':>8}{'peer/ship':>11}   checked")
    print("-" * 120)
    for r in data["rows"]:
        fig = ["FAILED"] * 3 if r["median"] is None else [f"{r[k]:.3f}" for k in ("median", "min", "max")]
        target = f"< {r['target']:g}" if r["target"] else "-"
        ratio = f"{r['ratio_vs_shipyard']:.1f}x" if r["ratio_vs_shipyard"] else "-"
        print(f"{r['command']:<46}{fig[0]:>10}{fig[1]:>8}{fig[2]:>8}{target:>8}{ratio:>11}   {r['found']}")
    print()
    for r in data["rows"]:
        if r["target"]:
            verdict = "FAILED" if r["met"] is None else ("PASS" if r["met"] else "MISS")
            print(f"{verdict:<6} {r['command']} < {r['target']:g} s")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per command (default: 5)")
    parser.add_argument("--modules", type=int, default=100, help="modules to assemble (default: 100)")
    parser.add_argument("--packages", type=int, default=1000, help="packages to plan (default: 1000)")
    parser.add_argument("--skip-peer", action="store_true", help="no package-auto-assembler")
    parser.add_argument("--keep", type=Path, metavar="PATH", help="make the repositories in PATH, keep them")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.modules < 1 or args.packages < 40:
        parser.error("--rounds and --modules must be at least 1, --packages at least 40")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: not empty")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-packrepo-") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        try:
            paa, peer_note = paa_venv(args.skip_peer)
            start = time.perf_counter()
            expected = make_assemble_repo(root / "assemble", args.modules)
            listed = make_plan_repo(root / "plan", args.packages)
        except CommandFailed as exc:
            print(f"benchmark aborted: {exc}", file=sys.stderr)
            return 1
        print(f"generated {root}/assemble and {root}/plan in {time.perf_counter() - start:.2f} s", flush=True)
        helps = [Series(" ".join(["shipyard", *sub, "--help"]), [*SHIPYARD, *sub, "--help"])
                 for sub in ([], ["plan"], ["release"], ["assemble"])]  # fmt: skip
        peer = [Series("paa --help (package-auto-assembler)", [str(paa), "--help"])] if paa else []
        repo = root / "assemble"
        assemble = Series(
            f"shipyard assemble --build ({args.modules} modules)",
            [*SHIPYARD, "assemble", "--build", "--json", "-C", str(repo)],
            clear_outputs(repo),
        )
        assemble.check = check_assemble(repo, expected, assemble)
        plan = Series(f"shipyard plan --json ({args.packages} packages)",
                      [*SHIPYARD, "plan", "--json", "-C", str(root / "plan")])  # fmt: skip
        plan.check = check_plan(listed, plan)
        bench([*helps, *peer], args.rounds)
        bench([assemble, plan], args.rounds)
    rows = [row(s, TARGETS["start-up"]) for s in helps]
    rows += [row(s, None, helps[0]) for s in peer]
    rows += [row(assemble, TARGETS["assemble"]), row(plan, TARGETS["plan"])]
    data = {"rounds": args.rounds, "modules": args.modules, "packages": args.packages, "peer": peer_note,
            "expected_listed": len(listed), "rows": rows}  # fmt: skip
    report(data)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if any(s.error for s in [*helps, *peer, assemble, plan]) else 0


if __name__ == "__main__":
    sys.exit(main())
