"""Benchmark: shipyard on real projects, against `python -m build && twine upload`.

Three real sdists from PyPI, each unpacked into its own git repository: a pure-Python one (tomli,
flit_core), a C extension (markupsafe, setuptools, its speedups compiled), and a VCS-versioned
one (iniconfig, hatchling with hatch-vcs, tagged so that the version comes from git). For each,
`shipyard release` to one stage (build, check, publish, verify hashes; no test-install) and the
peer pair upload the same version to a local pypiserver whose folder is emptied between runs,
interleaved, N rounds; every shipyard run starts without its kept files (a first release).
Medians and ratios are printed; a failed command is the only non-zero exit.

Run: .venv/bin/python benchmarks/bench_real.py [--rounds N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.indexes import TestIndex, start_pypiserver  # noqa: E402

BIN = Path(sys.executable).parent
PROJECTS = {  # label -> (requirement, tag for the VCS-versioned one)
    "pure Python (tomli, flit_core)": ("tomli==2.0.1", None),
    "C extension (markupsafe, setuptools)": ("markupsafe==3.0.2", None),
    "VCS version (iniconfig, hatch-vcs)": ("iniconfig==2.0.0", "v2.0.0"),
}


class CommandFailed(Exception):
    def __init__(self, cmd: Sequence[str], output: str) -> None:
        super().__init__(f"{' '.join(cmd)} failed")
        self.output = output


def run(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise CommandFailed(cmd, proc.stdout + proc.stderr)
    return time.perf_counter() - start


def git(tree: Path, *args: str) -> None:
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"]
    run(["git", *ident, *args], dict(os.environ), cwd=tree)


def checkout(requirement: str, tag: str | None, dest: Path, index: TestIndex) -> Path:
    """The sdist's tree, in a git repository of one commit (tagged when the version comes from git)."""
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         "-d", str(dest), requirement], dict(os.environ))  # fmt: skip
    (archive,) = dest.glob("*.tar.gz")
    with tarfile.open(archive) as tf:
        tf.extractall(dest, filter="data")
    (tree,) = (p for p in dest.iterdir() if p.is_dir())
    if tag is not None:
        (tree / "PKG-INFO").unlink()  # else hatch-vcs takes the version from the sdist, not from git
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text() if pyproject.exists() else ""
    pyproject.write_text(
        f'{text}\n[tool.shipyard]\nstages = ["bench"]\n\n[tool.shipyard.repositories.bench]\n'
        f'upload-url = "{index.upload_url}"\nsimple-url = "{index.simple_url}"\n'
    )
    with (tree / ".gitignore").open("a") as f:
        f.write("\ndist/\n.shipyard/\nbuild/\n*.egg-info/\n")
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "import")
    if tag is not None:
        git(tree, "tag", tag)
    return tree


def empty(index: TestIndex) -> None:
    for path in index.root.iterdir():
        path.unlink()


def shipyard(tree: Path, index: TestIndex, env: dict[str, str]) -> float:
    for state in (tree / ".shipyard", tree / "dist"):
        shutil.rmtree(state, ignore_errors=True)  # a first release: nothing kept
    cmd = [str(BIN / "shipyard"), "release", "--no-test-install", "--no-verify-install", "-C", str(tree)]
    return run(cmd, env)


def build_twine(tree: Path, index: TestIndex, env: dict[str, str], out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    seconds = run([sys.executable, "-m", "build", "--outdir", str(out), str(tree)], env)
    upload = [
        str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", index.upload_url, "-u", index.username, "-p", index.password,
        *sorted(str(p) for p in out.iterdir()),
    ]  # fmt: skip
    return seconds + run(upload, env)


def bench(rounds: int, tmp: Path) -> dict[str, dict[str, list[float]]]:
    (tmp / "server").mkdir()
    results: dict[str, dict[str, list[float]]] = {}
    with start_pypiserver(tmp / "server") as index:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SHIPYARD_", "TWINE_", "SOURCE_DATE"))
        }
        env |= {"SHIPYARD_BENCH_USERNAME": index.username, "SHIPYARD_BENCH_PASSWORD": index.password}
        env["SHIPYARD_CACHE_DIR"] = str(tmp / "shipyard-cache")
        for n, (label, (requirement, tag)) in enumerate(PROJECTS.items()):
            tree = checkout(requirement, tag, tmp / f"p{n}", index)
            times: dict[str, list[float]] = {"shipyard": [], "build+twine": []}
            for i in range(rounds + 1):  # round 0 warms the caches (build environments, pip's)
                for tool in times:
                    empty(index)
                    if tool == "shipyard":
                        seconds = shipyard(tree, index, env)
                    else:
                        seconds = build_twine(tree, index, env, tmp / "out")
                    served = sorted(p.name for p in index.root.iterdir())
                    wheels = [n for n in served if n.endswith(".whl")]
                    if len(served) != 2 or len(wheels) != 1:
                        raise CommandFailed([tool], f"the index holds {served}, not an sdist and a wheel")
                    if "C extension" in label and wheels[0].endswith("-none-any.whl"):
                        raise CommandFailed([tool], f"{wheels[0]} is not compiled")
                    if i:
                        times[tool].append(seconds)
            results[label] = times
            print(f"{label}: " + ", ".join(f"{t} {statistics.median(v):.2f} s" for t, v in times.items()))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per tool and project (default: 3)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="shipyard-bench-real-") as tmp:
            results = bench(max(args.rounds, 1), Path(tmp))
    except CommandFailed as exc:
        print(f"benchmark aborted: {exc}\n{exc.output.rstrip()}", file=sys.stderr)
        return 1
    print(f"\n{'project':<40}{'shipyard':>10}{'build+twine':>13}{'ratio':>8}")
    figures = {}
    for label, times in results.items():
        ship, peer = statistics.median(times["shipyard"]), statistics.median(times["build+twine"])
        figures[label] = {
            "shipyard": times["shipyard"],
            "build+twine": times["build+twine"],
            "ratio": ship / peer,
        }
        print(f"{label:<40}{ship:>9.2f}s{peer:>12.2f}s{ship / peer:>7.2f}x")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
