"""Benchmark: shipyard on a workspace of N members (default 50; a uv workspace of hatchling projects,
a tenth of them required by the others).

1. plan, first release: `shipyard plan --json` with no tag yet (every member new).
2. plan, after a release: every member tagged `{package}-v1.0.0` (one `git update-ref --stdin`),
   then `fix:` commits to 5 members (two of them required by others): plan must list exactly those.
3. release, first: every member built, checked, published to the local folder index and verified,
   one commit and N tags (`--no-test-install --no-verify-install`: the build and the record).
4. release, 5 changed members with the whole pipeline (test-install in a fresh venv, with the
   members they require; verify with install).

Each plan: one untimed warm-up, then the median of N rounds. Each release: one timed run (a second
would find nothing to release). The machine's load shows in the figures: compare runs made together.

Run: .venv/bin/python benchmarks/bench_workspace.py [--members N] [--rounds N] [--keep PATH] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHIPYARD = [sys.executable, "-m", "shipyard"]
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=root, check=True, capture_output=True, text=True, input=stdin
    ).stdout


def make(root: Path, members: int) -> list[str]:
    """The workspace: m00..m{N-1}; every member past the first tenth requires one of the first tenth."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n[tool.shipyard]\nstages = ["local"]\n'
    )
    (root / ".gitignore").write_text("dist/\n.shipyard/\n__pycache__/\n")
    core = max(1, members // 10)
    names = [f"m{i:02d}" for i in range(members)]
    for i, name in enumerate(names):
        folder = root / "packages" / name
        (folder / "src" / name).mkdir(parents=True)
        needs = [] if i < core else [names[i % core]]
        deps = ", ".join(f'"{n}>=1.0"' for n in needs)
        sources = "".join(f"{n} = {{ workspace = true }}\n" for n in needs)
        (folder / "pyproject.toml").write_text(
            f'{HATCH}\n[project]\nname = "{name}"\nversion = "1.0.0"\nreadme = "README.md"\n'
            f'requires-python = ">=3.9"\ndependencies = [{deps}]\n'
            + (f"\n[tool.uv.sources]\n{sources}" if sources else "")
        )
        (folder / "README.md").write_text(f"# {name}\n")
        body = "".join(f"import {n}\n" for n in needs) + f"\n\ndef value() -> int:\n    return {i}\n"
        (folder / "src" / name / "__init__.py").write_text(body)
        (folder / "tests").mkdir()
        (folder / "tests" / f"test_{name}.py").write_text(
            f"import {name}\n\n\ndef test_value():\n    assert {name}.value() == {i}\n"
        )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "chore: a workspace")
    return names


def run(root: Path, *args: str) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    proc = subprocess.run([*SHIPYARD, *args, "--json", "-C", str(root)], capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"shipyard {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    doc: dict[str, Any] = json.loads(proc.stdout)
    return took, doc


def median_plan(root: Path, rounds: int) -> tuple[float, dict[str, Any]]:
    run(root, "plan")  # warm-up
    times: list[float] = []
    doc: dict[str, Any] = {}
    for _ in range(rounds):
        took, doc = run(root, "plan")
        times.append(took)
    return statistics.median(times), doc


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="make the workspace here and keep it")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shipyard-bench-ws-"))
    root = args.keep or tmp / "ws"
    figures: dict[str, float] = {}
    try:
        names = make(root, args.members)
        figures["plan, first release"], doc = median_plan(root, args.rounds)
        assert len(doc["packages"]) == args.members, doc
        head = git(root, "rev-parse", "HEAD").strip()
        git(
            root,
            "update-ref",
            "--stdin",
            stdin="".join(f"create refs/tags/{n}-v1.0.0 {head}\n" for n in names),
        )
        changed = [names[0], names[1], names[-1], names[-2], names[-3]]
        for name in changed:
            with (root / "packages" / name / "src" / name / "__init__.py").open("a") as f:
                f.write("# fixed\n")
            git(root, "commit", "-qam", f"fix: {name}")
        figures["plan, 5 changed"], doc = median_plan(root, args.rounds)
        assert sorted(p["name"] for p in doc["packages"]) == sorted(changed), doc["packages"]
        # the first release of every member: untag, release all (build, check, publish, verify, record)
        git(root, "tag", "-d", *(f"{n}-v1.0.0" for n in names))
        took, doc = run(root, "release", "--no-test-install", "--no-verify-install")
        figures[f"release, {args.members} members (no test-install)"] = took
        assert len(doc["tags"]) == args.members, doc["tags"]
        for name in changed:
            with (root / "packages" / name / "src" / name / "__init__.py").open("a") as f:
                f.write("# fixed again\n")
            git(root, "commit", "-qam", f"fix: {name} again")
        took, doc = run(root, "release")
        figures["release, 5 changed (whole pipeline)"] = took
        assert sorted(doc["tags"]) == sorted(f"{n}-v1.0.1" for n in changed), doc["tags"]
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    width = max(map(len, figures))
    for what, seconds in figures.items():
        print(f"{what:<{width}}  {seconds:7.2f} s")
    if args.json:
        args.json.write_text(json.dumps({"members": args.members, "seconds": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
