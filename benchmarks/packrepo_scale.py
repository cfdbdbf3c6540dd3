"""Section 4 of bench_packrepo.py: a packaging repository at scale (issue 25, point 3).

- `shipyard plan --json` and `shipyard status --json` over 100, 300 and 1,000 new (untagged)
  modules, each count's series timed interleaved like the other sections; the target is 1.5 s at
  1,000 (the issue's goal). Plan must list every package at 0.1.0, or the benchmark fails.
- The local file index's cost per uploaded file as it grows: 1,000 small wheels, each a new
  project, uploaded one after another into one index (the shipyard in use, in a child process, so a
  PYTHONPATH picks the code measured); medians of the first and of the last hundred uploads, and
  their ratio (flat: about 1).

"Before" figures: run the benchmark with PYTHONPATH=<main's src> (the child processes inherit it).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCALE_TARGET = 1.5  # seconds, plan and status at 1,000 new packages
UPLOADS = """
import json, sys, time
from pathlib import Path
from shipyard.config import Repository
from shipyard.dists import identify
from shipyard.index.local import LocalIndex
from shipyard.tools.network import Network
root, wheels = Path(sys.argv[1]), sorted(Path(sys.argv[2]).iterdir())
repository = Repository("local", root.as_uri(), (root / "simple").as_uri(), local_path=root)
index = LocalIndex(repository, root, Network())
dists = [identify(w) for w in wheels]
times, cpu = [], []
for dist in dists:
    start, start_cpu = time.perf_counter(), time.process_time()
    index.upload(dist, lambda sent, total: None)
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
listed = len(json.loads((root / "simple" / "index.json").read_text())["projects"])
print(json.dumps({"times": times, "cpu": cpu, "listed": listed}))
"""


def make_new_repo(
    repo: Path,
    count: int,
    write: Callable[..., None],
    init: Callable[[Path], None],
) -> set[str]:
    """`count` modules, none tagged, one commit: every one is a new package."""
    write(repo, "modules/components/helpers.py", '"""Helpers."""\n\n\ndef helper() -> int:\n    return 1\n')
    for i in range(count):
        imports = "from components.helpers import helper\n" if i % 10 == 0 else ""
        body = f'"""New module {i}."""\n\nimport json\n{imports}\n\ndef value_{i}() -> str:\n'
        write(repo, f"modules/new_{i:04d}.py", body + f"    return json.dumps({{'n': {i}}})\n")
    init(repo)
    return {f"new-{i:04d}" for i in range(count)}


def check_new(expected: set[str], stdout: str) -> str:
    answer = json.loads(stdout)
    got = {p["name"]: p["next_version"] for p in answer["packages"]}
    if answer["ok"] is not True or set(got) != expected or set(got.values()) != {"0.1.0"}:
        raise ValueError(f"listed {len(got)} packages, expected {len(expected)} new ones at 0.1.0")
    return f"{len(got)} new, each at 0.1.0"


def make_wheels(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        name = f"scale_{i:04d}"
        with zipfile.ZipFile(folder / f"{name}-1.0.0-py3-none-any.whl", "w") as zf:
            meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\nRequires-Python: >=3.9\n"
            zf.writestr(f"{name}-1.0.0.dist-info/METADATA", meta)
            zf.writestr(f"{name}.py", "VALUE = 1\n")


def upload_growth(root: Path, count: int, env: dict[str, str]) -> dict[str, Any]:
    """Per-file upload times into one local index as it grows to `count` projects."""
    make_wheels(root / "wheels", count)
    out = subprocess.run([sys.executable, "-c", UPLOADS, str(root / "index"), str(root / "wheels")],
                         capture_output=True, env=env, check=True, timeout=900).stdout  # fmt: skip
    doc = json.loads(out)
    tenth = max(count // 10, 1)
    if doc["listed"] != count:
        raise ValueError(f"the root page lists {doc['listed']} projects, {count} uploaded")
    figures: dict[str, Any] = {"uploads": count}
    for key in ("times", "cpu"):  # wall clock, and CPU time (less moved by a loaded machine)
        first, last = statistics.median(doc[key][:tenth]), statistics.median(doc[key][-tenth:])
        figures[key] = {"first_ms": first * 1000, "last_ms": last * 1000, "growth": last / first}
    return figures


def report_uploads(figures: dict[str, Any]) -> None:
    n, tenth = figures["uploads"], max(figures["uploads"] // 10, 1)
    for key, label in (("times", "wall"), ("cpu", "CPU")):
        f = figures[key]
        print(f"local index, one new project per upload ({n}), {label}: median of uploads 1-{tenth} "
              f"{f['first_ms']:.2f} ms, of uploads {n - tenth + 1}-{n} {f['last_ms']:.2f} ms "
              f"({f['growth']:.2f}x; flat is about 1x)")  # fmt: skip
