"""Benchmark: a cibuildwheel-sized release (an sdist and 40 wheels of ~2 MB) to a real pypiserver.

`shipyard publish FILES` and `shipyard release --dists DIR` (which also reads the index back and
checks every hash) against `twine upload` and `uv publish` of the same 41 files, the tools
interleaved within each round; the index is emptied before every run, so each run uploads all 41.
Also the secret scan's cost per MB (check/contents.py, in this process, on the same files).

Goals (issue 25, point 1): publish <= 1.0x twine upload; release --dists <= 1.3x twine.

Run: .venv/bin/python benchmarks/bench_many_files.py [--rounds N] [--json PATH]
Main's code for a before/after: PYTHONPATH=/work/main/src .venv/bin/python benchmarks/bench_many_files.py
(every shipyard run is `python -m shipyard`, so it uses the same code as this process).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from tests.helpers.indexes import TestIndex, start_pypiserver  # noqa: E402

from bench_release import (  # noqa: E402
    BIN,
    MB,
    PROJECT_NAME,
    CommandFailed,
    _record_line,
    clean_env,
    make_project,
    set_version,
    timed,
    uv_bin,
)
from shipyard.check import contents  # noqa: E402
from shipyard.dists import identify  # noqa: E402

VERSION = "1.0.0"
SIZE = 2 * MB  # random bytes in each file
PYTHONS = ("cp39", "cp310", "cp311", "cp312", "cp313")
PLATFORMS = (
    "manylinux_2_17_x86_64", "manylinux_2_17_aarch64", "manylinux_2_17_i686", "manylinux_2_17_ppc64le",
    "musllinux_1_2_x86_64", "musllinux_1_2_aarch64", "macosx_11_0_arm64", "win_amd64",
)  # fmt: skip
GOALS = {"shipyard publish": 1.0, "shipyard release --dists": 1.3}
_METADATA = (
    f"Metadata-Version: 2.1\nName: {PROJECT_NAME}\nVersion: {VERSION}\n"
    "Summary: many files for shipyard's benchmark\nDescription-Content-Type: text/markdown\n\n"
    f"# {PROJECT_NAME}\n\nMany files.\n"
)


def make_wheel(folder: Path, tag: str) -> Path:
    """A valid platform wheel (METADATA, WHEEL, RECORD) holding SIZE random bytes."""
    info = f"{PROJECT_NAME}-{VERSION}.dist-info"
    members = {
        f"{PROJECT_NAME}/__init__.py": b'"""many files."""\n',
        f"{PROJECT_NAME}/blob.bin": os.urandom(SIZE),
        f"{info}/METADATA": _METADATA.encode(),
        f"{info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\nTag: {tag}\n"
        ).encode(),
    }
    record = [_record_line(n, hashlib.sha256(d).digest(), len(d)) for n, d in members.items()]
    members[f"{info}/RECORD"] = ("".join(record) + f"{info}/RECORD,,\n").encode()
    path = folder / f"{PROJECT_NAME}-{VERSION}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in members.items():
            whl.writestr(name, data)
    return path


def make_sdist(folder: Path) -> Path:
    top = f"{PROJECT_NAME}-{VERSION}"
    pyproject = f'[project]\nname = "{PROJECT_NAME}"\nversion = "{VERSION}"\n'
    members = {
        "PKG-INFO": _METADATA.encode(),
        "pyproject.toml": pyproject.encode(),
        "blob.bin": os.urandom(SIZE),
    }
    path = folder / f"{top}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            entry = tarfile.TarInfo(f"{top}/{name}")
            entry.size, entry.mtime = len(data), 1_700_000_000
            tar.addfile(entry, io.BytesIO(data))
    return path


def make_files(folder: Path) -> list[Path]:
    folder.mkdir()
    tags = [f"{py}-{py}-{plat}" for py in PYTHONS for plat in PLATFORMS]
    return [make_sdist(folder), *(make_wheel(folder, tag) for tag in tags)]


def scan_cost(files: list[Path]) -> float:
    """Milliseconds per MB of contents.problems (the secret scan) over the files, best of 3."""
    dists = [identify(p) for p in files]
    size = sum(p.stat().st_size for p in files) / MB
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for dist in dists:
            if contents.problems(dist):
                raise CommandFailed(["scan"], 1, f"{dist.filename}: the scan found something")
        best = min(best, time.perf_counter() - start)
    return best * 1000 / size


def commands(
    index: TestIndex, project: Path, files: list[Path], baseline: Path | None = None
) -> dict[str, list[str]]:
    shipyard = [sys.executable, "-m", "shipyard"]
    names = [str(p) for p in files]
    login = ["-u", index.username, "-p", index.password]
    found = {
        "twine upload": [
            str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
            "--repository-url", index.upload_url, *login, *names,
        ],
        "uv publish": [
            uv_bin(), "publish", "--publish-url", index.upload_url,
            "--username", index.username, "--password", index.password, *names,
        ],
        "shipyard publish": [*shipyard, "publish", "--to", "bench", *names, "-C", str(project)],
        "shipyard release --dists": [
            *shipyard, "release", "--dists", str(files[0].parent), "--stages", "bench",
            "--no-test-install", "--no-verify-install", "-C", str(project),
        ],
    }  # fmt: skip
    if baseline is not None:  # the same two commands with another checkout's src first on the path
        for tool in ("shipyard publish", "shipyard release --dists"):
            cmd = found[tool]
            found[f"{tool} (baseline)"] = [cmd[0], "-c", _BASELINE, str(baseline), *cmd[3:]]
    return found


# runs `python -m shipyard` with SRC (argv[1]) first on sys.path: the code before a change
_BASELINE = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('shipyard', run_name='__main__')"
)


def emptied(index: TestIndex, project: Path) -> None:
    """Nothing on the index and no release state: the next run uploads all 41 files."""
    for path in index.root.iterdir():
        path.unlink()
    for state in (project / ".shipyard").glob("state/*"):
        if state.is_file():
            state.unlink()


def one_run(index: TestIndex, project: Path, cmd: list[str], env: dict[str, str], count: int) -> float:
    emptied(index, project)
    seconds = timed(cmd, env)
    served = index.served_files(PROJECT_NAME)
    if len(served) != count:
        raise CommandFailed(cmd, 1, f"the index serves {len(served)} files, not {count}")
    return seconds


def bench(tmp: Path, rounds: int, baseline: Path | None = None) -> dict[str, object]:
    files = make_files(tmp / "files")
    total = sum(p.stat().st_size for p in files) / MB
    (tmp / "server").mkdir()
    with start_pypiserver(tmp / "server") as index:
        project = make_project(tmp, index)
        set_version(project, VERSION)
        env = clean_env(tmp / "shipyard-cache", index)
        cmds = commands(index, project, files, baseline)
        runner: Callable[[list[str]], float] = lambda cmd: one_run(index, project, cmd, env, len(files))  # noqa: E731
        print(f"{len(files)} files, {total:.1f} MB; warm-up: one untimed run per tool", flush=True)
        for cmd in cmds.values():
            runner(cmd)
        runs: dict[str, list[float]] = {tool: [] for tool in cmds}
        for i in range(rounds):
            for tool, cmd in cmds.items():
                runs[tool].append(runner(cmd))
            print(
                f"round {i + 1}/{rounds}: " + ", ".join(f"{t} {r[-1]:.3f} s" for t, r in runs.items()),
                flush=True,
            )
    twine = statistics.median(runs["twine upload"])
    return {
        "files": len(files),
        "megabytes": total,
        "medians": {tool: statistics.median(r) for tool, r in runs.items()},
        "ratios_to_twine": {tool: statistics.median(r) / twine for tool, r in runs.items()},
        # each round's runs are seconds apart: their ratio is steadier than the medians' on a busy machine
        "round_ratios_to_twine": {
            tool: statistics.median(a / b for a, b in zip(r, runs["twine upload"], strict=True))
            for tool, r in runs.items()
        },
        "runs": runs,
        "scan_ms_per_mb": scan_cost(files),
    }


def report(data: dict[str, object], rounds: int) -> None:
    medians, ratios, rounds_ = data["medians"], data["ratios_to_twine"], data["round_ratios_to_twine"]
    assert isinstance(medians, dict) and isinstance(ratios, dict) and isinstance(rounds_, dict)
    print(
        f"\n{data['files']} files ({data['megabytes']:.1f} MB) to a local pypiserver, "
        f"{rounds} interleaved rounds"
    )
    print(f"{'tool':<28}{'median s':>10}{'x twine':>10}{'per round':>11}")
    for tool, median in medians.items():
        print(f"{tool:<28}{median:>10.3f}{ratios[tool]:>10.2f}{rounds_[tool]:>11.2f}")
    print("(x twine: ratio of the medians; per round: median of each round's ratio)")
    print(f"secret scan (check/contents.py): {data['scan_ms_per_mb']:.3f} ms per MB")
    if isinstance(load := data.get("load"), dict):
        said = {k: " ".join(f"{x:.1f}" for x in v) for k, v in load.items()}
        print(f"load average (1, 5, 15 min): {said['before']} before, {said['after']} after")
    for tool, goal in GOALS.items():
        print(f"{'PASS' if ratios[tool] <= goal else 'FAIL'}  {tool} <= {goal}x twine upload")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per tool (default: 5)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="SRC",
        help="also run both shipyard commands with SRC (another checkout's src/) first on the path, "
        "interleaved with the others: before/after figures from the same rounds",
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory(prefix="shipyard-bench-many-") as tmp:
            data = bench(Path(tmp), max(1, args.rounds), args.baseline)
        data["load"] = {"before": load_before, "after": os.getloadavg()}
    except CommandFailed as exc:
        print(f"benchmark aborted: {exc}\n{exc.output.rstrip()}", file=sys.stderr)
        return 1
    report(data, args.rounds)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
