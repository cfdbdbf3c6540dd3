"""The house keeps its shape: few modules at the top of src/shipyard, no import circle (imports
inside functions counted), stages importing at the top, small modules, tests sharing helpers
through tests/helpers/ (benchmarks/house.py prints the same figures)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.structure import circles, graph, measure, modules


def test_the_house_keeps_its_shape() -> None:
    figures = measure()
    assert len(figures.top_modules) <= 8, figures.top_modules
    assert figures.circles == [], figures.circles
    assert len(figures.late_imports) <= 15, figures.late_imports
    assert figures.long_modules == [], figures.long_modules
    assert figures.test_cross_imports == [], figures.test_cross_imports


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
