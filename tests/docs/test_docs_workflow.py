"""The workflow that publishes the docs site (.github/workflows/docs.yml) passes what every workflow
shipyard generates passes: shipyard ci check, zizmor (offline) and actionlint with shellcheck."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.projects import ShipyardCLI

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "docs.yml"
BIN = Path(sys.executable).parent


def test_ci_check_passes_on_the_docs_workflow(shipyard: ShipyardCLI) -> None:
    checked = shipyard("ci", "check", "-C", str(ROOT), str(WORKFLOW))
    assert checked.code == 0, checked.out + checked.err
    assert checked.out.strip().endswith("1 file checked: 0 errors, 0 warnings")


def test_the_docs_workflow_passes_zizmor_and_actionlint() -> None:
    zizmor = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", "--format", "plain", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    shellcheck = shutil.which("shellcheck") or "/usr/bin/shellcheck"
    actionlint = subprocess.run(
        [str(BIN / "actionlint"), "-shellcheck", shellcheck, str(WORKFLOW)], capture_output=True, text=True
    )
    assert actionlint.returncode == 0, actionlint.stdout


def test_it_publishes_what_versions_py_builds_for_each_release_tag() -> None:
    text = WORKFLOW.read_text()
    assert 'tags: ["v[0-9]*"]' in text
    assert 'python docs/gen/versions.py "$RUNNER_TEMP/pages"' in text
    assert 'python -m pip install ".[docs]"' in text
    assert "fetch-depth: 0" in text
