"""The house's figures: modules at the top of src/shipyard, import circles among shipyard's modules
(imports inside functions counted, TYPE_CHECKING blocks not), rooms (folders) that import each other,
shipyard imports inside functions outside cli/, modules over 400 lines, functions over 60 lines,
functions with more than 6 parameters, uses of `Any`, the places that make (name, version) or the
release state from the files again instead of reading the one Release value, and tests that import
other test modules; plus `shipyard --help` start-up (median of N runs).

Run: .venv/bin/python benchmarks/house.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.structure import measure  # noqa: E402


def startup(rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "shipyard", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    figures = measure()
    rows = [
        (
            "modules directly in src/shipyard",
            len(figures.top_modules),
            "<= 8",
            ", ".join(figures.top_modules),
        ),
        ("import circles", len(figures.circles), "0", "; ".join(" <-> ".join(c) for c in figures.circles)),
        ("shipyard imports inside functions outside cli/", len(figures.late_imports), "<= 15", ""),
        (
            "modules over 400 lines",
            len(figures.long_modules),
            "0",
            ", ".join(f"{n} ({k})" for n, k in figures.long_modules),
        ),
        (
            "rooms importing each other",
            len(figures.room_circles),
            "0",
            "; ".join(" <-> ".join(c) for c in figures.room_circles),
        ),
        (
            "functions over 60 lines",
            len(figures.long_functions),
            "0",
            ", ".join(f"{n} ({k})" for n, k in figures.long_functions),
        ),
        (
            "functions with over 6 parameters",
            len(figures.many_parameters),
            "0",
            ", ".join(f"{n} ({k})" for n, k in figures.many_parameters),
        ),
        *(
            (
                f"calls of {what}{' below release/, cli/' * (what == 'Release.of')}",
                len(places),
                "<= 1",
                ", ".join(places),
            )
            for what, places in figures.recomputed.items()
        ),
        ("uses of Any", figures.any_uses, "<= 15", ""),
        ("tests importing other test modules", len(figures.test_cross_imports), "0", ""),
        ("shipyard --help median start-up (s)", round(startup(args.rounds), 3), "< 0.1", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target, detail in rows:
        print(f"{name:<{width}}  {value!s:>7}  (target {target}){'  ' + detail if detail else ''}")
    for line in figures.late_imports:
        print(f"  late import: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
