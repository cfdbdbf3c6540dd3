"""A pytest plugin for the house test (`-p tests.helpers.tiers`): after collection it writes, for each
test, its file, whether it is marked integration and whether it reaches a real index server or
PyPI (through its fixtures, or by starting a server itself), as JSON to $SHIPYARD_TIERS_REPORT."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import pytest

# fixtures that start a real index server or download from PyPI (their users are integration tests)
REAL_FIXTURES = frozenset(
    {"pypiserver_index", "fresh_pypiserver", "devpi_index", "fresh_devpi_index", "real_sdist"}
)
STARTS_A_SERVER = ("start_pypiserver(", "start_devpi(")


def _reaches_real_servers(item: pytest.Item) -> bool:
    if REAL_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        source = ""
    return any(call in source for call in STARTS_A_SERVER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    report = os.environ.get("SHIPYARD_TIERS_REPORT")
    if not report:
        return
    rows = [
        {
            "file": item.nodeid.partition("::")[0],
            "test": item.nodeid,
            "integration": item.get_closest_marker("integration") is not None,
            "real": _reaches_real_servers(item),
        }
        for item in items
    ]
    Path(report).write_text(json.dumps(rows), encoding="utf-8")
