"""Benchmark: shipyard on packaging repositories (one package per module in modules/NAME.py).

1. Start-up: `shipyard --help`, `plan --help`, `release --help`, `assemble --help`, beside the peer
   package-auto-assembler's `paa --help`, installed once into ~/.cache/shipyard-bench/paa-venv
   (skipped, with a note, when its install fails or takes over 5 minutes).
2. Assemble: N generated modules of 30-80 lines (a third import a component, a fifth a third-party
   package installed here, some a sibling module; some have a CLI or data files), assembled and built
   (sdist + wheel each) by `shipyard assemble --build --json`, build/ and dist/ deleted (untimed)
   before each run; each package's dists, components, script and requirements are checked.
3. Change detection: N small modules, each package tagged `{package}-v1.0.0` (one `git update-ref
   --stdin`), then a `fix:` commit changing 20 modules and the component `text` that a thirtieth
   import (every module mentions the word "text": shipyard's text pre-check rules none out).
   `shipyard plan --json` must list exactly those, each at 1.0.1, or the benchmark fails.
4. Scale (packrepo_scale.py): `plan --json` and `status --json` over 100/300/1,000 new modules
   (target 1.5 s at 1,000), and the local index's per-file upload time as it grows to 1,000
   projects. Before/after: run once with PYTHONPATH=<main's src>, once without.

Each command: one untimed warm-up, then medians of N wall-clock rounds, interleaved within a round.
Targets (for the default sizes): start-up < 0.3 s, assemble --build < 5 s, plan < 1 s. Missing one
is a result: the exit code is non-zero only when a command or a check fails.

Run: .venv/bin/python benchmarks/bench_packrepo.py [--rounds N] [--modules N] [--packages N]
     [--skip-peer] [--keep PATH] [--json PATH] [--scale 100,300,1000] [--only-scale]
"""

from __future__ import annotations

import argparse
import functools
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

import packrepo_scale as scale

TARGETS = {"start-up": 0.3, "assemble": 5.0, "plan": 1.0}  # seconds
SHIPYARD = [sys.executable, "-m", "shipyard"]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
INSTALL_TIMEOUT = 300.0
# package-auto-assembler 1.0.5 requires `mcp` unpinned and imports mcp.server.fastmcp, which mcp 2
# removed: without the pin `paa --help` fails with ModuleNotFoundError
PEER = ["package-auto-assembler", "mcp<2"]
# (import, code using it, distribution); requests_toolbelt is in none of shipyard's own tables: the
# repository maps it in requirements-map.toml (what is installed beside shipyard never decides)
THIRD_PARTY = [
    ("from packaging.version import Version", "return Version(a) > Version(b)", "packaging"),
    ("import requests", "return bool(requests.codes.ok) and a != b", "requests"),
    ("from rich.text import Text", "return Text(a).plain != b", "rich"),
    ("import tomlkit", "return tomlkit.dumps({'a': a}) != b", "tomlkit"),
    ("from requests_toolbelt import MultipartEncoder", "return bool(MultipartEncoder)", "requests-toolbelt"),
]  # fmt: skip
BLOCKS = [
    "def dump_{k}(data: dict) -> str:\n    return json.dumps(data, sort_keys=True, indent=2)\n",
    "def env_{k}(name: str, default: str = '') -> str:\n    return os.environ.get(name, default).strip()\n",
    "_WORD_{k} = re.compile(r'[a-z]+')\n\n\ndef words_{k}(text: str) -> list[str]:\n"
    "    return _WORD_{k}.findall(text.lower())\n",
    "@dataclass\nclass Record{k}:\n    name: str\n    size: int = 0\n    tags: list[str] = field("
    "default_factory=list)\n\n    def describe(self) -> str:\n        return f'{{self.name}}'\n",
    "def total_{k}(values: list[int]) -> int:\n    result = 0\n    for value in values:\n        if value:"
    "\n            result += value\n        else:\n            result -= 1\n    return result\n",
    "class Counter{k}:\n    def __init__(self) -> None:\n        self.seen: dict[str, int] = {{}}\n\n    def "
    "add(self, key: str) -> int:\n        self.seen[key] = self.seen.get(key, 0) + 1\n        return 1\n",
]  # fmt: skip
HELPERS = '"""Small helpers."""\n\n\ndef slugify(text: str) -> str:\n    return "-".join(text.split())\n' \
    "\n\ndef chunked(items: list, size: int) -> list[list]:\n    return [items[i : i + size] for i in " \
    "range(0, len(items), size)]\n"  # fmt: skip
CLI = "import argparse\n\nfrom {} import describe\n\n\ndef main() -> None:\n    argparse.ArgumentParser()" \
    ".parse_args()\n    print(describe())\n"  # fmt: skip


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV" and not k.startswith("SHIPYARD_")}
    return {**{k: v for k, v in env.items() if not k.lower().endswith("_proxy")}, "GIT_TERMINAL_PROMPT": "0"}


def run(cmd: Sequence[str], cwd: Path | None = None, stdin: bytes | None = None, timeout: float = 600) -> str:
    """The command's output; CalledProcessError (with its stderr) unless it exits 0 in time."""
    proc = subprocess.run(list(cmd), cwd=cwd, input=stdin, capture_output=True, env=clean_env(),
                          timeout=timeout, check=True)  # fmt: skip
    return proc.stdout.decode(errors="replace")


def stderr(exc: subprocess.CalledProcessError | subprocess.TimeoutExpired) -> str:
    return (exc.stderr or b"").decode(errors="replace").strip()[-3000:]


def write(root: Path, rel: str, text: str, mode: str = "w") -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    with (root / rel).open(mode, encoding="utf-8") as f:
        f.write(text)


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
    """Module i, of 30-80 lines; `exp` gets what its package must require."""
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
    lines, k = rng.randint(30, 70), 0
    while len("\n\n".join(body).splitlines()) + len(head) + 4 < lines:
        body.append(BLOCKS[rng.randrange(len(BLOCKS))].format(k=k))
        k += 1
    doc = f'"""Generated module {i}: utilities number {i} for the benchmark."""'
    return f"{doc}\n\n" + "\n".join(head) + "\n\n\n" + "\n\n".join(body)


def make_assemble_repo(repo: Path, count: int) -> dict[str, Expected]:
    rng, expected = random.Random(0), {}
    write(repo, "modules/components/helpers.py", HELPERS)
    write(repo, "requirements-map.toml", 'requests_toolbelt = "requests-toolbelt"\n')
    for i in range(count):
        name = f"mod_{i:03d}"
        exp = expected[name.replace("_", "-")] = Expected()
        write(repo, f"modules/{name}.py", module_source(i, rng, exp))
        if i % 20 == 3:
            exp.script = True
            write(repo, f"cli/{name}.py", CLI.format(name))
        for j in range(3 if i % 20 == 11 else 0):
            write(repo, f"data/{name}/item_{j}.json", json.dumps({"module": i, "item": j}) + "\n")
    git_init(repo)
    return expected


def make_plan_repo(repo: Path, count: int) -> set[str]:
    """Every package tagged at 1.0.0, then one commit; the packages plan must list."""
    components, importers = ["helpers", "text", "numbers"], set()
    for c in components:
        write(repo, f"modules/components/{c}.py", f'"""The {c} component."""\n\n\ndef {c}_id() -> str:\n'
              f'    return "{c}"\n')  # fmt: skip
    for i in range(count):
        lines = [f'"""Small module {i}: text and numbers."""', "", "import json", "", ""]
        if i % 10 == 0:
            comp = components[(i // 10) % 3]
            lines[2:2] = [f"from components.{comp} import {comp}_id"]
            importers |= {f"mod-{i:03d}"} if comp == "text" else set()
        lines += [f"def value_{i}() -> str:", f"    return json.dumps({{'n': {i}, 'text': 'x'}})", "", ""]
        lines += ["def double(n: int) -> int:", "    if n < 0:", "        return 0", "    return 2 * n"]
        write(repo, f"modules/mod_{i:03d}.py", "\n".join(lines) + "\n")
    git_init(repo)
    head = run(["git", "rev-parse", "HEAD"], cwd=repo).strip()
    refs = "".join(f"create refs/tags/mod-{i:03d}-v1.0.0 {head}\n" for i in range(count))
    run(["git", "update-ref", "--stdin"], cwd=repo, stdin=refs.encode())
    changed = [f"mod_{i:03d}" for i in range(5, count, max(count // 20, 1))][:20]
    for name in changed:
        write(repo, f"modules/{name}.py", "\n\ndef added() -> int:\n    return 1\n", "a")
    write(repo, "modules/components/text.py", "\n\ndef shout(s: str) -> str:\n    return s.upper()\n", "a")
    run([*GIT, "commit", "-qam", "fix: change 20 modules and the text component"], cwd=repo)
    return {n.replace("_", "-") for n in changed} | importers


def paa_venv(skip: bool) -> tuple[Path | None, str]:
    """The peer's venv, made once (when its `paa --help` works) and reused: (its paa, a note)."""
    if skip:
        return None, "skipped (--skip-peer)"
    venv = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shipyard-bench" / "paa-venv"
    paa, python, marker = venv / "bin" / "paa", str(venv / "bin" / "python"), venv / "bench-installed.txt"
    if marker.is_file():
        return paa, f"{marker.read_text().strip()}; reused {venv}"
    print(f"installing {' '.join(PEER)} into {venv} (once: a big install)", flush=True)
    start = time.perf_counter()
    try:
        run([sys.executable, "-m", "venv", "--clear", str(venv)])
        pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        run([*pip, *PEER], timeout=INSTALL_TIMEOUT)
        run([str(paa), "--help"], timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"skipped: failed or over {INSTALL_TIMEOUT:g} s ({exc}): {stderr(exc)[-400:]}"
    took, listed = time.perf_counter() - start, run([python, "-m", "pip", "list", "--format=freeze"])
    marker.write_text(f"{' '.join(PEER)}: {len(listed.split())} distributions, installed in {took:.0f} s")
    return paa, marker.read_text()


# ---------------------------------------------------------------- timing and checks


@dataclass
class Series:
    label: str
    cmd: list[str]
    clean: Path | None = None  # a repository whose build/ and dist/ go before each run (untimed)
    check: Callable[[str], str] | None = None  # stdout -> what it saw; ValueError when it is wrong
    runs: list[float] = field(default_factory=list)
    error: str | None = None
    found: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


def time_once(s: Series) -> None:
    if s.clean:
        for folder in ("build", "dist"):
            shutil.rmtree(s.clean / folder, ignore_errors=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run(s.cmd, capture_output=True, env=clean_env(), timeout=600, check=False)
        elapsed, out = time.perf_counter() - start, proc.stdout.decode(errors="replace")
        if proc.returncode:
            output = out + proc.stderr.decode(errors="replace")
            raise ValueError(f"exit {proc.returncode}\n{output[-3000:]}")
        s.found = s.check(out) if s.check else ""
        s.runs.append(elapsed)
    except (ValueError, KeyError, TypeError, subprocess.TimeoutExpired) as exc:
        s.error = str(exc).strip()
        print(f"FAILED {s.label}: {s.error}", file=sys.stderr, flush=True)


def bench(group: list[Series], rounds: int) -> None:
    for s in group:  # warm-up, untimed; a command that fails is dropped
        time_once(s)
        s.runs.clear()
    for i in range(rounds):
        for s in [s for s in group if not s.error]:
            time_once(s)
        times = ", ".join(f"{s.label} {s.runs[-1]:.3f} s" for s in group if not s.error)
        print(f"round {i + 1}/{rounds}: {times}", flush=True)


def check_assemble(repo: Path, expected: dict[str, Expected], stdout: str) -> str:
    got = {p["name"]: p for p in json.loads(stdout)["packages"]}
    if set(got) != set(expected):
        raise ValueError(f"assembled {len(got)} packages, expected {len(expected)}")
    for name, exp in expected.items():
        p, folder = got[name], repo / "dist" / name.replace("-", "_")
        files = {d["filename"] for d in p["dists"]}
        reqs = {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in p["requirements"]}
        built = all((folder / f).is_file() for f in files)
        seen = (reqs, p["components"], bool(p["scripts"]), len(files), built)
        if seen != (exp.requirements, exp.components, exp.script, 2, True):
            raise ValueError(f"{name}: requirements, components, script, dists {seen}; expected {exp}")
    return f"{len(got)} packages, {sum(len(p['dists']) for p in got.values())} dists, as generated"


def check_plan(expected: set[str], stdout: str) -> str:
    answer = json.loads(stdout)
    got = {p["name"]: p["next_version"] for p in answer["packages"]}
    if answer["ok"] is not True or set(got) != expected or set(got.values()) != {"1.0.1"}:
        extra, missing = sorted(set(got) - expected), sorted(expected - set(got))
        wrong = sorted(n for n, v in got.items() if v != "1.0.1")
        raise ValueError(f"plan listed {len(got)}, expected {len(expected)}: extra {extra[:10]}, "
                         f"missing {missing[:10]}, not at 1.0.1 {wrong[:10]}")  # fmt: skip
    return f"{len(got)} listed at 1.0.1, as expected"


# ---------------------------------------------------------------- report


def row(s: Series, target: float | None, base: Series | None = None) -> dict[str, Any]:
    m, b = s.median, base.median if base else None
    met = None if m is None or target is None else m < target
    return {"command": s.label, "median": m, "min": min(s.runs, default=None),
            "max": max(s.runs, default=None), "runs": s.runs, "target": target, "met": met,
            "ratio_vs_shipyard": m / b if m and b else None, "found": s.found, "error": s.error}  # fmt: skip


def report(data: dict[str, Any]) -> None:
    print(f"\nmedians of {data['rounds']} interleaved rounds after one warm-up; peer: {data['peer']}")
    print(f"{'command':<46}{'median s':>10}{'min':>8}{'max':>8}{'target':>8}{'vs ship':>9}   checked")
    print("-" * 120)
    for r in data["rows"]:
        fig = ["FAILED"] * 3 if r["median"] is None else [f"{r[k]:.3f}" for k in ("median", "min", "max")]
        target = f"< {r['target']:g}" if r["target"] else "-"
        ratio = f"{r['ratio_vs_shipyard']:.1f}x" if r["ratio_vs_shipyard"] else "-"
        print(f"{r['command']:<46}{fig[0]:>10}{fig[1]:>8}{fig[2]:>8}{target:>8}{ratio:>9}   {r['found']}")
    print()
    for r in (r for r in data["rows"] if r["target"]):
        verdict = "FAILED" if r["met"] is None else ("PASS" if r["met"] else "MISS")
        print(f"{verdict:<6} {r['command']} < {r['target']:g} s")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per command (default: 5)")
    parser.add_argument("--modules", type=int, default=100, help="modules to assemble (default: 100)")
    parser.add_argument("--packages", type=int, default=1000, help="packages to plan (default: 1000)")
    parser.add_argument("--skip-peer", action="store_true", help="leave out package-auto-assembler")
    parser.add_argument("--keep", type=Path, metavar="PATH", help="make the repositories in PATH, keep them")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--scale", default="100,300,1000", help="new packages to plan (default: %(default)s)")
    parser.add_argument("--only-scale", action="store_true", help="run section 4 only")
    args = parser.parse_args(argv)
    args.scale = [int(n) for n in args.scale.split(",") if n.strip()]
    if args.rounds < 1 or args.modules < 1 or args.packages < 40:
        parser.error("--rounds and --modules must be at least 1, --packages at least 40")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: not empty")
    return args


def scale_section(root: Path, args: argparse.Namespace) -> tuple[list[Series], dict[str, Any]]:
    """Plan and status over new packages at each size, interleaved; the local index's growth."""
    group = []
    for count in args.scale:
        repo = root / f"new-{count}"
        expected = scale.make_new_repo(repo, count, write, git_init)
        for command in ("plan", "status"):
            s = Series(f"shipyard {command} --json ({count} new packages)", [*SHIPYARD, command, "--json",
                       "-C", str(repo)], None, functools.partial(scale.check_new, expected))  # fmt: skip
            group.append(s)
    bench(group, args.rounds)
    uploads = scale.upload_growth(root / "index-growth", max(args.scale), clean_env())
    return group, uploads


def main_scale(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-scale-") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        group, uploads = scale_section(root, args)
    top = max(args.scale)
    rows = [row(s, scale.SCALE_TARGET if f"({top} new" in s.label else None) for s in group]
    data = {"rounds": args.rounds, "peer": "none (section 4 only)", "rows": rows, "uploads": uploads}
    report(data)
    scale.report_uploads(uploads)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if any(s.error for s in group) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.only_scale:
        return main_scale(args)
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-packrepo-") as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        try:
            paa, peer_note = paa_venv(args.skip_peer)
            start = time.perf_counter()
            expected = make_assemble_repo(root / "assemble", args.modules)
            listed = make_plan_repo(root / "plan", args.packages)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            print(f"benchmark aborted: {exc}\n{stderr(exc)}", file=sys.stderr)
            return 1
        print(f"generated {root}/assemble and {root}/plan in {time.perf_counter() - start:.2f} s", flush=True)
        helps = [Series(" ".join(["shipyard", *sub, "--help"]), [*SHIPYARD, *sub, "--help"])
                 for sub in ([], ["plan"], ["release"], ["assemble"])]  # fmt: skip
        peer = [Series("paa --help (package-auto-assembler)", [str(paa), "--help"])] if paa else []
        repo, plan_repo = root / "assemble", root / "plan"
        cmd = [*SHIPYARD, "assemble", "--build", "--json", "-C", str(repo)]
        assemble = Series(f"shipyard assemble --build ({args.modules} modules)", cmd, repo)
        assemble.check = functools.partial(check_assemble, repo, expected)
        cmd = [*SHIPYARD, "plan", "--json", "-C", str(plan_repo)]
        plan = Series(f"shipyard plan --json ({args.packages} packages)", cmd, None)
        plan.check = functools.partial(check_plan, listed)
        bench([*helps, *peer], args.rounds)
        bench([assemble, plan], args.rounds)
        group, uploads = scale_section(root, args)
    rows = [row(s, TARGETS["start-up"]) for s in helps] + [row(s, None, helps[0]) for s in peer]
    rows += [row(assemble, TARGETS["assemble"]), row(plan, TARGETS["plan"])]
    top = max(args.scale)
    rows += [row(s, scale.SCALE_TARGET if f"({top} new" in s.label else None) for s in group]
    data = {"rounds": args.rounds, "modules": args.modules, "packages": args.packages, "peer": peer_note,
            "expected_listed": len(listed), "rows": rows, "uploads": uploads}  # fmt: skip
    report(data)
    scale.report_uploads(uploads)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if any(s.error for s in [*helps, *peer, assemble, plan, *group]) else 0


if __name__ == "__main__":
    sys.exit(main())
