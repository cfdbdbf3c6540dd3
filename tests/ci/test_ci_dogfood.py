"""Dogfood (issue 15.12): shipyard's own repository carries the release workflow shipyard generates
for itself, byte for byte, and `shipyard ci check` passes on it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.projects import ShipyardCLI

CHECKOUT = Path(__file__).resolve().parents[2]
WORKFLOW = CHECKOUT / ".github" / "workflows" / "release.yml"


def test_the_committed_workflow_is_what_ci_init_writes_now(shipyard: ShipyardCLI) -> None:
    made = shipyard("ci", "init", "--github", "--stdout", "-C", str(CHECKOUT))
    assert made.code == 0, made.err
    assert made.out == WORKFLOW.read_text(), (
        "regenerate it: shipyard ci init --github --force (and commit .github/workflows/release.yml)"
    )
    # it releases shipyard with the checkout it releases ([tool.shipyard.ci] install = ".")
    assert 'SHIPYARD_REQUIREMENT: ".[uv]"' in made.out


def test_ci_check_passes_on_the_committed_workflow(shipyard: ShipyardCLI) -> None:
    checked = shipyard("ci", "check", "-C", str(CHECKOUT), str(WORKFLOW))
    assert checked.code == 0, checked.out + checked.err
    assert checked.out.strip().endswith("1 file checked: 0 errors, 0 warnings")
