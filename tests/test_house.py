"""The house keeps its shape: few modules at the top of src/shipyard, no import circle (imports
inside functions counted), stages importing at the top, small modules, tests sharing helpers
through tests/helpers/ (benchmarks/house.py prints the same figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.structure import ROOT, circles, graph, measure, modules, room_circles


def test_the_house_keeps_its_shape() -> None:
    figures = measure()
    assert len(figures.top_modules) <= 8, figures.top_modules
    assert figures.circles == [], figures.circles
    assert len(figures.late_imports) <= 15, figures.late_imports
    assert figures.long_modules == [], figures.long_modules
    assert figures.test_cross_imports == [], figures.test_cross_imports
    assert figures.room_circles == [], figures.room_circles
    # the Release is made where files enter, and its state file read once a release
    assert figures.recomputed["Release.of"] == [], figures.recomputed
    assert len(figures.recomputed["ReleaseState.load"]) <= 1, figures.recomputed


def _collected(tmp_path: Path) -> list[dict[str, object]]:
    """Every test pytest's own collection finds, as `./run.sh test` runs it (tests.helpers.tiers)."""
    report = tmp_path / "tiers.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.helpers.tiers",
        ],
        cwd=ROOT,
        env={**os.environ, "SHIPYARD_TIERS_REPORT": str(report)},
        capture_output=True,
        check=True,
    )
    rows: list[dict[str, object]] = json.loads(report.read_text(encoding="utf-8"))
    return rows


def test_every_test_file_is_collected_and_the_fast_tier_starts_no_server(tmp_path: Path) -> None:
    """A folder pytest skips by default (build/, dist/, or one in norecursedirs) would hide its tests;
    and `./run.sh test-fast` (-m "not integration") must not start index servers or download from PyPI."""
    rows = _collected(tmp_path)
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")}
    assert on_disk - {str(r["file"]) for r in rows} == set()
    unmarked = [r["test"] for r in rows if r["real"] and not r["integration"]]
    assert unmarked == [], "reach real servers but are not marked integration"


def test_rooms_that_import_each_other_are_seen_through_a_third() -> None:
    edges = {"shipyard.config": {"shipyard.readers"}, "shipyard.readers": {"shipyard.plan.versions"}}
    edges["shipyard.plan.target"] = {"shipyard.config"}
    assert room_circles(edges) == [["shipyard.config", "shipyard.plan", "shipyard.readers"]]


def test_the_measure_sees_a_circle_through_an_import_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "shipyard"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from shipyard import b\n")
    (package / "b.py").write_text("def late() -> None:\n    from shipyard.a import x\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from shipyard import a\n"
    )
    (package / "d.py").write_text("import shipyard.c\n")
    known = modules(tmp_path)
    edges, late = graph(known)
    assert circles(edges) == [["shipyard.a", "shipyard.b"]]  # c's TYPE_CHECKING import is no edge
    assert late == ["shipyard.b:2 -> shipyard.a"]
    assert edges["shipyard.d"] == {"shipyard.c"}
