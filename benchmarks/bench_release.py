"""Benchmark: shipyard against its peers, on one machine, against one local pypiserver.

1. `shipyard release` to one stage (build, check, publish, verify hashes; no test-install) against
   `python -m build && twine upload` and `uv build && uv publish`, on the same small pure-Python
   project: medians of N rounds, the tools interleaved within each round so machine noise hits all.
2. A re-run of a release already published and verified (kept files, one listing read): median of
   N runs of the same `shipyard release` again.
3. `shipyard --help` start-up: median of N wall-clock runs.
4. Peak RSS of `shipyard publish` (and of `twine upload`) sending a 200 MB wheel.

Targets: shipyard at most 1.0x the uv pair (aim 0.45x, issue 25) and 0.4x the build+twine pair, a re-run under
0.5 s, --help under 0.3 s, publish peak RSS under 100 MB. Missing a target is a result, not an
error: the exit code is non-zero only when a command fails.

Run: .venv/bin/python benchmarks/bench_release.py [--rounds N] [--skip-memory] [--json PATH]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.indexes import TestIndex, start_pypiserver  # noqa: E402

# The tools of the interpreter running the benchmark (not resolved: a venv's python is a symlink).
BIN = Path(sys.executable).parent
PROJECT_NAME = "benchpkg"
BIG_SIZE = 200 * 10**6  # bytes of incompressible data in the big wheel
MB = 10**6
TARGETS = {"uv": 1.0, "build+twine": 0.4, "uv aim": 0.45, "rerun": 0.5, "help": 0.3, "rss": 100.0}


class CommandFailed(Exception):
    def __init__(self, cmd: Sequence[str], code: int, output: str) -> None:
        super().__init__(f"{' '.join(cmd)} exited with {code}")
        self.output = output


@dataclass(frozen=True)
class Run:
    total: float  # seconds, the whole timed region
    parts: dict[str, float]  # seconds per step, for the breakdown


@dataclass
class Series:
    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def totals(self) -> list[float]:
        return [r.total for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.totals)

    def part_medians(self) -> dict[str, float]:
        names = dict.fromkeys(n for r in self.runs for n in r.parts)
        return {n: statistics.median(r.parts.get(n, 0.0) for r in self.runs) for n in names}


@dataclass
class Bench:
    tmp: Path
    project: Path
    index: TestIndex
    env: dict[str, str]
    versions: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    released: list[str] = field(default_factory=list)

    def next_version(self) -> str:
        version = f"0.{next(self.versions)}.0"
        self.released.append(version)
        return version


# ---------------------------------------------------------------- processes


def clean_env(cache: Path, index: TestIndex) -> dict[str, str]:
    """One environment for every tool.

    Extra package sources set in the environment, uv/twine/shipyard settings and proxies are
    dropped; the machine's pip config file stays, since `python -m build` needs an index for
    hatchling and that is its normal behaviour. PYTHONDONTWRITEBYTECODE is dropped too (this
    machine sets it): users' Python tools start from cached bytecode, and so do all three here.
    """
    sources = {"PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_NO_INDEX", "SOURCE_DATE_EPOCH"}
    sources.add("PYTHONDONTWRITEBYTECODE")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in sources
        and not k.startswith(("UV_", "TWINE_", "SHIPYARD_", "VIRTUAL_ENV"))
        and not k.lower().endswith("_proxy")
    }
    env["SHIPYARD_CACHE_DIR"] = str(cache)
    env["SHIPYARD_BENCH_USERNAME"] = index.username
    env["SHIPYARD_BENCH_PASSWORD"] = index.password
    return env


def run(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> str:
    """Run a command to completion; CommandFailed (with its output) unless it exits 0."""
    proc = subprocess.run(
        list(cmd), env=env, cwd=cwd, capture_output=True, text=True, errors="replace", check=False
    )
    if proc.returncode:
        raise CommandFailed(cmd, proc.returncode, proc.stdout + proc.stderr)
    return proc.stdout


def timed(cmd: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    run(cmd, env)
    return time.perf_counter() - start


def git(project: Path, *args: str) -> None:
    identity = [
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    run(["git", *identity, *args], dict(os.environ), cwd=project)


def uv_bin() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


# ---------------------------------------------------------------- the project


def make_project(root: Path, index: TestIndex) -> Path:
    """A small pure-Python hatchling project in its own git repository."""
    project = root / "project"
    package = project / "src" / PROJECT_NAME
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{PROJECT_NAME}"
version = "0.0.0"
description = "A small project for shipyard's release benchmark"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"

[tool.shipyard.repositories.bench]
upload-url = "{index.upload_url}"
simple-url = "{index.simple_url}"
"""
    )
    (project / "README.md").write_text(f"# {PROJECT_NAME}\n\nAdds and greets, for benchmarks.\n")
    (package / "__init__.py").write_text(
        '"""benchpkg."""\n\nfrom benchpkg.core import add\nfrom benchpkg.greet import greet\n\n'
        '__all__ = ["add", "greet"]\n'
    )
    (package / "core.py").write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    (package / "greet.py").write_text('def greet(name: str) -> str:\n    return f"hello, {name}"\n')
    # hatchling reads only the top .gitignore, so shipyard's own dist/ and .shipyard/ (each with a
    # self-ignoring .gitignore) must be listed here or the second release puts .shipyard/ in the sdist.
    (project / ".gitignore").write_text("dist/\n.shipyard/\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "initial")
    return project


def set_version(project: Path, version: str) -> None:
    """Rewrite and commit the version (shipyard takes SOURCE_DATE_EPOCH from the last commit)."""
    path = project / "pyproject.toml"
    text, n = re.subn(r'(?m)^version = ".*"$', f'version = "{version}"', path.read_text())
    assert n == 1, "no version line in the benchmark project"
    path.write_text(text)
    git(project, "commit", "-qam", f"version {version}")


# ---------------------------------------------------------------- the three release pairs


def release_shipyard(bench: Bench, out: Path, pythonpath: str | None = None) -> Run:
    """`shipyard release --json`, its steps timed by shipyard itself (the `durations` it reports:
    prepare, build, check, publish and verify per stage, record); "start-up" is the rest of the
    wall-clock time: the interpreter and the imports before the command runs, and the exit."""
    del out  # shipyard writes to the project's dist/, its normal place
    cmd = [
        str(BIN / "shipyard"), "release", "--stages", "bench", "--json",
        "--no-test-install", "--no-verify-install", "-C", str(bench.project),
    ]  # fmt: skip
    env = bench.env if pythonpath is None else {**bench.env, "PYTHONPATH": pythonpath}
    start = time.perf_counter()
    doc = json.loads(run(cmd, env))
    total = time.perf_counter() - start
    parts: dict[str, float] = {}
    for step in doc.get("durations", []):
        parts[step["step"]] = parts.get(step["step"], 0.0) + step["seconds"]
    return Run(total, {"start-up": total - sum(parts.values()), **parts})


def release_build_twine(bench: Bench, out: Path) -> Run:
    build = [sys.executable, "-m", "build", "--outdir", str(out), str(bench.project)]
    start = time.perf_counter()
    built = timed(build, bench.env)
    upload = [
        str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", bench.index.upload_url,
        "-u", bench.index.username, "-p", bench.index.password,
        *sorted(str(p) for p in out.iterdir()),
    ]  # fmt: skip
    uploaded = timed(upload, bench.env)
    return Run(time.perf_counter() - start, {"build": built, "upload": uploaded})


def release_uv(bench: Bench, out: Path) -> Run:
    uv = uv_bin()
    # the interpreter shipyard and build use, so every backend runs on the same Python
    build = [uv, "build", "--python", sys.executable, "--out-dir", str(out), str(bench.project)]
    start = time.perf_counter()
    built = timed(build, bench.env)
    publish = [
        uv, "publish", "--publish-url", bench.index.upload_url,
        "--username", bench.index.username, "--password", bench.index.password,
        *sorted(str(p) for p in out.iterdir()),
    ]  # fmt: skip
    published = timed(publish, bench.env)
    return Run(time.perf_counter() - start, {"build": built, "publish": published})


TOOLS: dict[str, tuple[str, Callable[[Bench, Path], Run]]] = {
    "shipyard": ("shipyard release", release_shipyard),
    "build+twine": ("python -m build + twine upload", release_build_twine),
    "uv": ("uv build + uv publish", release_uv),
}


def release_once(bench: Bench, tool: str) -> Run:
    """One real release of a fresh version (set and committed outside the timed region)."""
    version = bench.next_version()
    set_version(bench.project, version)
    return TOOLS[tool][1](bench, bench.tmp / "out" / f"{tool}-{version}")


def check_uploaded(bench: Bench) -> None:
    """Every release, timed or not, really put its sdist and wheel on the index."""
    served = bench.index.served_files(PROJECT_NAME)
    for version in bench.released:
        for name in (f"{PROJECT_NAME}-{version}.tar.gz", f"{PROJECT_NAME}-{version}-py3-none-any.whl"):
            if name not in served:
                raise CommandFailed(["check", "uploads"], 1, f"the index does not serve {name}")


def bench_releases(bench: Bench, rounds: int) -> dict[str, Series]:
    print("warm-up: one untimed release per tool (shipyard's build-environment cache, uv's and pip's caches)")
    for tool in TOOLS:
        release_once(bench, tool)
    series = {tool: Series(label) for tool, (label, _) in TOOLS.items()}
    for i in range(rounds):
        for tool in TOOLS:  # interleaved: round i runs each tool once
            series[tool].runs.append(release_once(bench, tool))
        times = ", ".join(f"{t} {s.runs[-1].total:.3f} s" for t, s in series.items())
        print(f"round {i + 1}/{rounds}: {times}", flush=True)
    check_uploaded(bench)
    return series


def bench_rerun(bench: Bench, rounds: int) -> list[float]:
    """`shipyard release` of a release it has just published and verified: no build, one listing read."""
    release_once(bench, "shipyard")
    cmd = [
        str(BIN / "shipyard"), "release", "--stages", "bench",
        "--no-test-install", "--no-verify-install", "-C", str(bench.project),
    ]  # fmt: skip
    runs = [timed(cmd, bench.env) for _ in range(rounds)]
    check_uploaded(bench)
    return runs


def bench_help(env: dict[str, str], rounds: int) -> list[float]:
    cmd = [str(BIN / "shipyard"), "--help"]
    run(cmd, env)  # untimed: loads the files into the page cache
    return [timed(cmd, env) for _ in range(rounds)]


# ---------------------------------------------------------------- upload memory


def _record_line(name: str, digest: bytes, size: int) -> str:
    b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return f"{name},sha256={b64},{size}\n"


def make_big_wheel(folder: Path, size: int) -> Path:
    """A valid wheel holding `size` random (incompressible) bytes, written in 1 MiB chunks."""
    name, version = "bigpkg", "1.0.0"
    info = f"{name}-{version}.dist-info"
    small = {
        f"{name}/__init__.py": b'"""A large wheel for upload benchmarks."""\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench_release\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    path = folder / f"{name}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as whl:
        for member, data in small.items():
            whl.writestr(member, data)
            record.append(_record_line(member, hashlib.sha256(data).digest(), len(data)))
        digest, left = hashlib.sha256(), size
        with whl.open(f"{name}/blob.bin", "w") as blob:
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                blob.write(chunk)
                digest.update(chunk)
                left -= len(chunk)
        record.append(_record_line(f"{name}/blob.bin", digest.digest(), size))
        whl.writestr(f"{info}/RECORD", "".join(record) + f"{info}/RECORD,,\n")
    return path


# Linux's ru_maxrss counts every memory image the process had, including the one it was forked
# with: a child forked by this benchmark (which has just written a big wheel) would report at least
# the benchmark's own peak. So a fresh, tiny interpreter forks the command and reports its wait4.
_LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def peak_rss(cmd: Sequence[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one command; ru_maxrss is in KiB on Linux."""
    result = log.with_suffix(".rusage")
    start = time.perf_counter()
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(result), *cmd],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    elapsed = time.perf_counter() - start
    code, maxrss_kib = map(int, result.read_text().split())
    if code:
        raise CommandFailed(cmd, code, log.read_text(errors="replace"))
    return maxrss_kib * 1024 / MB, elapsed


def bench_memory(bench: Bench) -> dict[str, dict[str, float]]:
    """Upload one big wheel with shipyard to the bench index, and with twine to a second server."""
    print(f"memory: writing a {BIG_SIZE / MB:.0f} MB wheel", flush=True)
    wheel = make_big_wheel(bench.tmp, BIG_SIZE)
    # what the method reports for a program that uses almost nothing: the launcher's own image
    floor, _ = peak_rss(["true"], bench.env, bench.tmp / "true.log")
    shipyard = [str(BIN / "shipyard"), "publish", "--to", "bench", str(wheel), "-C", str(bench.project)]
    ship_rss, ship_s = peak_rss(shipyard, bench.env, bench.tmp / "publish-shipyard.log")
    (bench.tmp / "twine-server").mkdir()
    with start_pypiserver(bench.tmp / "twine-server") as other:
        twine = [
            str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
            "--repository-url", other.upload_url, "-u", other.username, "-p", other.password, str(wheel),
        ]  # fmt: skip
        twine_rss, twine_s = peak_rss(twine, bench.env, bench.tmp / "publish-twine.log")
        for index in (bench.index, other):
            if wheel.name not in index.served_files("bigpkg"):
                raise CommandFailed(["check", "uploads"], 1, f"{index.upload_url} lacks {wheel.name}")
    return {
        "shipyard publish": {"peak_rss_mb": ship_rss, "seconds": ship_s},
        "twine upload": {"peak_rss_mb": twine_rss, "seconds": twine_s},
        "file": {"size_mb": wheel.stat().st_size / MB},
        "floor": {"peak_rss_mb": floor},
    }


# ---------------------------------------------------------------- report


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def release_table(series: dict[str, Series]) -> list[str]:
    lines = [
        f"{'release (seconds)':<32}{'median':>8}{'min':>8}{'max':>8}   median per step",
        "-" * 100,
    ]
    for s in series.values():
        parts = ", ".join(f"{n} {v:.3f}" for n, v in s.part_medians().items())
        lines.append(f"{s.label:<32}{s.median:>8.3f}{min(s.totals):>8.3f}{max(s.totals):>8.3f}   {parts}")
    return lines


def _summary(runs: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(runs), "min": min(runs), "max": max(runs), "runs": runs}


def _baseline_ratio(series: dict[str, Series]) -> float | None:
    return series["baseline"].median / series["uv"].median if "baseline" in series else None


def figures(
    series: dict[str, Series],
    reruns: list[float],
    helps: list[float],
    memory: dict[str, dict[str, float]] | None,
) -> dict[str, Any]:
    ship = series["shipyard"].median
    return {
        "release": {
            tool: {
                "label": s.label,
                "median": s.median,
                "min": min(s.totals),
                "max": max(s.totals),
                "runs": s.totals,
                "step_medians": s.part_medians(),
            }
            for tool, s in series.items()
        },
        "ratio_uv": ship / series["uv"].median,
        "ratio_baseline_uv": _baseline_ratio(series),
        "round_ratio_uv": statistics.median(
            a.total / b.total for a, b in zip(series["shipyard"].runs, series["uv"].runs, strict=True)
        ),
        "ratio_build_twine": ship / series["build+twine"].median,
        "rerun": _summary(reruns),
        "help": _summary(helps),
        "memory": memory,
    }


def targets(data: dict[str, Any]) -> list[tuple[str, bool]]:
    result = [
        (f"shipyard / uv pair <= {TARGETS['uv']}x", data["ratio_uv"] <= TARGETS["uv"]),
        (
            f"shipyard / build+twine <= {TARGETS['build+twine']}x",
            data["ratio_build_twine"] <= TARGETS["build+twine"],
        ),
        (f"(aim) shipyard / uv pair <= {TARGETS['uv aim']}x", data["ratio_uv"] <= TARGETS["uv aim"]),
        (f"shipyard release re-run < {TARGETS['rerun']} s", data["rerun"]["median"] < TARGETS["rerun"]),
        (f"shipyard --help < {TARGETS['help']} s", data["help"]["median"] < TARGETS["help"]),
    ]
    if data["memory"] is not None:
        rss = data["memory"]["shipyard publish"]["peak_rss_mb"]
        result.append((f"shipyard publish peak RSS < {TARGETS['rss']:g} MB", rss < TARGETS["rss"]))
    return result


def _load(avg: Sequence[float]) -> str:
    return " ".join(f"{x:.1f}" for x in avg)


def report(data: dict[str, Any], series: dict[str, Series], rounds: int) -> None:
    print()
    print(f"Release of a small pure-Python project to a local pypiserver, {rounds} interleaved rounds")
    print("(each after one untimed warm-up release per tool; every run uploads a fresh version)")
    print("\n".join(release_table(series)))
    before, after = data["load"]["before"], data["load"]["after"]
    print(
        f"load average (1, 5, 15 min): {_load(before)} before, {_load(after)} after ({os.cpu_count()} cores)"
    )
    each = f"median of each round's: {data['round_ratio_uv']:.2f}x"
    print(f"ratio shipyard / uv pair:     {data['ratio_uv']:.2f}x ({each})")
    if data["ratio_baseline_uv"] is not None:
        print(f"ratio baseline / uv pair:     {data['ratio_baseline_uv']:.2f}x")
    print(f"ratio shipyard / build+twine: {data['ratio_build_twine']:.2f}x")
    r = data["rerun"]
    print(
        f"re-run of a verified release: median {r['median']:.3f} s (min {r['min']:.3f}, max {r['max']:.3f})"
    )
    h = data["help"]
    print(f"shipyard --help: median {h['median']:.3f} s (min {h['min']:.3f}, max {h['max']:.3f})")
    if (memory := data["memory"]) is not None:
        print(
            f"upload of a {memory['file']['size_mb']:.0f} MB wheel (MB = 10^6 bytes; wait4 ru_maxrss, "
            f"floor of the method {memory['floor']['peak_rss_mb']:.1f} MB):"
        )
        for tool in ("shipyard publish", "twine upload"):
            m = memory[tool]
            print(f"  {tool:<18} peak RSS {m['peak_rss_mb']:6.1f} MB   {m['seconds']:6.2f} s")
    print()
    for text, ok in targets(data):
        print(f"{_verdict(ok)}  {text}")


# ---------------------------------------------------------------- main


@contextlib.contextmanager
def bench_setup(tmp: Path) -> Iterator[Bench]:
    (tmp / "server").mkdir()
    with start_pypiserver(tmp / "server") as index:
        yield Bench(tmp, make_project(tmp, index), index, clean_env(tmp / "shipyard-cache", index))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per tool (default: 5)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the 200 MB upload memory benchmark")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also time `shipyard release` with SRC (another checkout's src/) first on PYTHONPATH, "
        "interleaved with the others: before/after figures from the same rounds",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()
    if args.baseline is not None:
        src = str(args.baseline.resolve())
        TOOLS["baseline"] = (f"shipyard release ({src})", lambda b, o: release_shipyard(b, o, src))
    try:
        with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as tmp, bench_setup(Path(tmp)) as bench:
            series = bench_releases(bench, args.rounds)
            reruns = bench_rerun(bench, args.rounds)
            helps = bench_help(bench.env, args.rounds)
            memory = None if args.skip_memory else bench_memory(bench)
    except CommandFailed as exc:
        print(f"benchmark aborted: {exc}\n{exc.output.rstrip()}", file=sys.stderr)
        return 1
    data = figures(series, reruns, helps, memory)
    data["load"] = {"before": load_before, "after": os.getloadavg()}
    data["targets"] = {text: ok for text, ok in targets(data)}
    report(data, series, args.rounds)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
