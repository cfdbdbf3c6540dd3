"""Benchmark: shipyard on a package-auto-assembler repository as it is (tests/helpers/paa_repo.py:
eleven modules, eight of them released, 90 paa tags, a tracking file, component bundles).

1. `shipyard plan --json` with every package changed (each must be planned at its next version,
   from paa's tags and tracking file, or the benchmark fails); goal < 1 s.
2. `shipyard assemble --build --json` of every package (sdist + wheel each, build/ and dist/ deleted
   untimed before each run; each package's requirements must match paa's rules); goal < 10 s
   (paa takes 8-11 s a package with its checks off).

Each command: one untimed warm-up, then the median of N wall-clock runs.

Run: .venv/bin/python benchmarks/bench_paa.py [--rounds N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402
from tests.helpers import paa_repo  # noqa: E402

SHIPYARD = [sys.executable, "-m", "shipyard"]
GOALS = {"plan": 1.0, "assemble": 10.0}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SHIPYARD_") and k != "VIRTUAL_ENV"}


def _canonical(requirements: list[str]) -> list[str]:
    return sorted(f"{canonicalize_name(r.name)}{r.specifier}" for r in map(Requirement, requirements))


def check_plan(stdout: str) -> str:
    planned = {p["name"]: p["next_version"] for p in json.loads(stdout)["packages"]}
    if len(planned) != len(paa_repo.RELEASED) or planned.get("attr-kit") != "0.2.2":
        raise ValueError(f"planned {planned}")
    return f"{len(planned)} packages planned"


def check_assemble(stdout: str) -> str:
    built = {p["name"]: p for p in json.loads(stdout)["packages"]}
    matching = 0
    for name, theirs in paa_repo.PAA_REQUIREMENTS.items():
        ours = _canonical(built[name.replace("_", "-")]["requirements"])
        # paa also requires what mcp/NAME.py imports; shipyard does not ship mcp/
        matching += ours == [r for r in _canonical(theirs) if r != "mcp"]
        if not all(d["filename"] for d in built[name.replace("_", "-")]["dists"]):
            raise ValueError(f"{name}: no dists")
    return f"{len(built)} built, requirements match paa's for {matching}/{len(paa_repo.PAA_REQUIREMENTS)}"


def timed(cmd: list[str], root: Path, rounds: int, check: object, clean: bool) -> tuple[float, str]:
    runs, said = [], ""
    for i in range(rounds + 1):
        if clean:
            for folder in ("build", "dist"):
                shutil.rmtree(root / folder, ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd[2:])} failed:\n{proc.stdout}{proc.stderr}")
        said = check(proc.stdout)  # type: ignore[operator]
        if i:
            runs.append(elapsed)
    return statistics.median(runs), said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per command (default: 5)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-paa-") as tmp:
        root = paa_repo.write_repo(Path(tmp) / "reusables")
        paa_repo.touch_every_package(root)
        tags = len(subprocess.run(["git", "tag"], cwd=root, capture_output=True, text=True).stdout.split())
        plan = timed([*SHIPYARD, "plan", "--json", "-C", str(root)], root, args.rounds, check_plan, False)
        cmd = [*SHIPYARD, "assemble", "--build", "--json", "-C", str(root)]
        assemble = timed(cmd, root, args.rounds, check_assemble, True)
    rows = {"plan": plan, "assemble": assemble}
    print(f"paa-layout repository: 11 modules (8 packages), {tags} tags; medians of {args.rounds} runs")
    for name, (median, said) in rows.items():
        verdict = "PASS" if median < GOALS[name] else "MISS"
        print(f"{verdict:<5} shipyard {name:<9} {median:6.3f} s  (goal < {GOALS[name]:g} s)  {said}")
    if args.json:
        data = {n: {"median": m, "goal": GOALS[n], "checked": s} for n, (m, s) in rows.items()}
        args.json.write_text(json.dumps({"tags": tags, "rounds": args.rounds, **data}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
