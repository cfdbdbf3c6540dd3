"""The ranges a workspace release reads and moves: PEP 440 and Poetry's caret and tilde."""

from __future__ import annotations

import pytest
from packaging.version import Version

from shipyard.plan.memberedits import pinned
from shipyard.plan.members import Pin, _allows, widened
from shipyard.plan.workspace import Need, spec_text


@pytest.mark.parametrize(
    ("spec", "poetry", "version", "allowed"),
    [
        (">=1.0,<2", False, "1.9.9", True),
        (">=1.0,<2", False, "2.0.0", False),
        ("~=1.4", False, "1.9", True),
        ("~=1.4", False, "2.0", False),
        ("^1.2", True, "1.9.0", True),
        ("^1.2", True, "2.0.0", False),
        ("^0.3", True, "0.3.9", True),
        ("^0.3", True, "0.4.0", False),
        ("~1.2", True, "1.2.7", True),
        ("~1.2", True, "1.3.0", False),
        (">=1,<2", True, "2.0", False),
    ],
)
def test_allows(spec: str, poetry: bool, version: str, allowed: bool) -> None:
    assert _allows(Need("alpha", spec, poetry=poetry), Version(version)) is allowed


@pytest.mark.parametrize(
    ("spec", "poetry", "version", "new"),
    [
        (">=1.0,<2", False, "2.0.0", ">=2.0.0,<3"),
        ("==0.3.0", False, "0.4.0", ">=0.4.0,<0.5"),
        ("<1", False, "1.0.0", ">=1.0.0,<2"),
        ("^1.0", True, "2.0.0", "^2.0.0"),
    ],
)
def test_widened(spec: str, poetry: bool, version: str, new: str) -> None:
    assert widened(Need("alpha", spec, poetry=poetry), Version(version)) == new


def test_spec_text_keeps_the_range_as_written() -> None:
    assert spec_text("alpha>=1.0,<2") == ">=1.0,<2"
    assert spec_text('alpha[x] (>=1.0, <2); python_version > "3.8"') == ">=1.0,<2"
    assert spec_text("alpha") == ""


def test_pinned_moves_only_the_named_requirement_and_keeps_the_rest() -> None:
    text = (
        "[project]\n"
        'name = "beta"\n'
        "dependencies = [\n"
        "    \"alpha[fast]>=1.0,<2; python_version >= '3.9'\",  # the core\n"
        '    "requests>=2",\n'
        "]\n\n"
        "[project.optional-dependencies]\n"
        'extra = ["alpha>=1.0,<2"]\n'
    )
    out = pinned(text, [Pin("alpha", ">=1.0,<2", ">=2.0.0,<3", "2.0.0")])
    assert "\"alpha[fast]>=2.0.0,<3 ; python_version >= '3.9'\",  # the core" in out
    assert '"requests>=2"' in out
    assert 'extra = ["alpha>=2.0.0,<3"]' in out
    poetry = '[tool.poetry.dependencies]\npython = ">=3.9"\nalpha = { version = "^1.0", optional = true }\n'
    moved = pinned(poetry, [Pin("alpha", "^1.0", "^2.0.0", "2.0.0", poetry=True)])
    assert 'alpha = { version = "^2.0.0", optional = true }' in moved
