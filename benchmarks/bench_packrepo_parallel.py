"""A packaging repository's release at scale, serial against parallel (issue 25, point 2).

N new modules, each with a test (what `shipyard new` writes), one commit, released to the local
index: `shipyard release --jobs 1` (one package after another, as before) against `--jobs 0` (the
packages of a dependency level at once, one per core), each in a fresh copy of the repository.
For each: wall time, the CPU time of shipyard and all its children (pytest, uv, pip), CPU/wall
(how many cores were busy), per package; then serial/parallel. A tenth of the modules import a
module released beside them (a second dependency level), as real repositories do.

The machine's load average is printed before and after: on a shared box the figures move with it.
The goal (issue 25): CPU/wall >= 1.4 on 2 cores, 300 packages in <= 140 s.

    python benchmarks/bench_packrepo_parallel.py                 # 100 and 300, both ways
    python benchmarks/bench_packrepo_parallel.py --sizes 100 --plan-only 1000
    python benchmarks/bench_packrepo_parallel.py --sizes 1000    # a full 1,000 (slow: ~10-20 min)
    python benchmarks/bench_packrepo_parallel.py --sizes 300 --no-serial --plan-only

`--plan-only N`: for N packages only `plan --changed` and the dependency levels are timed (a full
release of 1,000 takes the better part of half an hour here, serial and parallel together).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RATIO, GOAL_300 = 1.4, 140.0
MODULE = '''"""Package {i} of the benchmark."""

__package_metadata__ = {{"keywords": [], "classifiers": ["Programming Language :: Python :: 3"]}}
{imports}

def hello() -> str:
    """What package {i} says."""
    return "hello from {name}"
'''
TEST = """from {name} import hello


def test_hello() -> None:
    assert hello() == "hello from {name}"
"""


# as users run it: Python writes bytecode (this machine sets PYTHONDONTWRITEBYTECODE for everything),
# so the test venvs start with the pytest an earlier run compiled (tools/bytecode.py)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def shipyard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shipyard", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_repo(root: Path, count: int) -> None:
    """`count` new modules with a test each; every tenth imports the module before it."""
    done = shipyard("init", "--packaging-repo", str(root), cwd=root.parent)
    assert done.returncode == 0, done.stderr
    for i in range(count):
        name = f"pkg_{i:04d}"
        imports = f"\nimport pkg_{i - 1:04d}  # noqa: F401\n" if i % 10 == 9 else ""
        (root / "modules" / f"{name}.py").write_text(MODULE.format(i=i, name=name, imports=imports))
        (root / "tests" / name).mkdir(parents=True)
        (root / "tests" / name / f"test_{name}.py").write_text(TEST.format(name=name))
    git(root, "init", "-q")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "modules")


def timed(args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds (this child and every process it waited for) of `shipyard args`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = shipyard(*args, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def release(template: Path, where: Path, jobs: int, count: int) -> tuple[float, float]:
    shutil.copytree(template, where, symlinks=True)
    env_args = ["release", "-C", str(where), "--jobs", str(jobs), "--json"]
    wall, cpu, done = timed(env_args, where)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    verified = [p for p in doc["packages"] if p["verified"]]
    assert len(verified) == count and len(doc["tags"]) == count, (len(verified), len(doc["tags"]))
    return wall, cpu


def line(label: str, wall: float, cpu: float, count: int) -> str:
    return (
        f"  {label:<9} {wall:7.1f} s wall  {cpu:7.1f} s CPU  CPU/wall {cpu / wall:4.2f}  "
        f"{wall / count * 1000:5.0f} ms a package"
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def full(count: int, work: Path, serial_too: bool = True) -> None:
    template = work / f"repo{count}"
    template.mkdir()
    make_repo(template, count)
    print(f"{count} packages ({load()})", flush=True)
    if serial_too:
        serial = release(template, work / f"serial{count}", 1, count)
        print(line("serial", *serial, count), flush=True)
    parallel = release(template, work / f"parallel{count}", 0, count)
    print(line("parallel", *parallel, count), flush=True)
    if not serial_too:
        print(
            f"  CPU/wall {parallel[1] / parallel[0]:.2f} (goal >= {GOAL_RATIO}); no serial run (--no-serial)"
        )
        print(f"  ({load()})", flush=True)
        return
    ratio = serial[0] / parallel[0]
    met = "met" if parallel[0] <= GOAL_300 else "missed"
    goal = f"; goal <= {GOAL_300:.0f} s: {met}" if count == 300 else ""
    busy = parallel[1] / parallel[0]
    print(f"  serial/parallel {ratio:.2f}x; CPU/wall {busy:.2f} (goal >= {GOAL_RATIO}){goal}")
    print(f"  ({load()})", flush=True)


def plan_only(count: int, work: Path) -> None:
    template = work / f"plan{count}"
    template.mkdir()
    make_repo(template, count)
    wall, cpu, done = timed(["plan", "--changed", "--json", "-C", str(template)], template)
    assert done.returncode == 0, done.stderr
    planned = len(json.loads(done.stdout)["packages"])
    code = (
        "import sys, time; from pathlib import Path; from shipyard.assemble import layout; "
        "from shipyard.plan.changed import survey, levels; from shipyard.plan.target import rules; "
        "from shipyard.assemble import settings; import os; "
        "repo = layout.load(Path(sys.argv[1])); r = rules(settings.load(repo, os.environ)); "
        "t = time.perf_counter(); ps = survey(repo, r); ls = levels(repo, ps); "
        "print(len(ls), [len(x) for x in ls], round(time.perf_counter() - t, 2))"
    )
    said = subprocess.run(
        [sys.executable, "-c", code, str(template)], capture_output=True, text=True, check=True
    )
    print(f"{count} packages, plan only ({load()})")
    print(f"  plan --changed {wall:.2f} s wall, {cpu:.2f} s CPU: {planned} packages")
    print(f"  levels, sizes, seconds (survey + levels): {said.stdout.strip()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 300])
    parser.add_argument("--plan-only", type=int, nargs="*", default=[1000])
    parser.add_argument("--no-serial", action="store_true", help="the parallel run only (a busy box)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-packrepo-parallel-") as tmp:
        work = Path(tmp)
        for count in args.sizes:
            full(count, work, serial_too=not args.no_serial)
        for count in args.plan_only:
            plan_only(count, work)


if __name__ == "__main__":
    main()
