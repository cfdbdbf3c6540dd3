"""PEP 792 project status: PyPI refuses uploads to an archived or quarantined project, so `release`
stops before it builds anything (one line with the index's reason) and `publish` uploads nothing; a
deprecated project is released with a warning.

PyPI's status markers come from an index stand-in (tests/helpers/provenance_standin.py, simple API
1.4 in PEP 691 JSON and in PEP 503 HTML): pypiserver and devpi serve no status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import provenance_standin
from tests.helpers.projects import Run, ShipyardCLI, make_project

pytestmark = pytest.mark.integration

CREDS = {"SHIPYARD_STAGE_USERNAME": "someone", "SHIPYARD_STAGE_PASSWORD": "a-password-long-enough"}


def project(tmp_path: Path, served: provenance_standin.Served) -> Path:
    tool = (
        '[tool.shipyard]\nstages = ["stage"]\n\n[tool.shipyard.repositories.stage]\n'
        f'upload-url = "{served.upload_url}"\nsimple-url = "{served.simple_url}"\n'
    )
    return make_project(tmp_path / "proj", tool=tool, with_tests=False)


def one_error(run: Run, code: int) -> str:
    assert run.code == code, run.text
    lines = [line for line in run.err.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in run.text, run.err
    return lines[0]


def older_release(served: provenance_standin.Served, tmp_path: Path) -> None:
    """tiny-pkg 0.9.0, which the index serves: the project exists there."""
    old = tmp_path / "tiny_pkg-0.9.0.tar.gz"
    old.write_bytes(b"an older release")
    served.add(old)


@pytest.mark.parametrize(
    ("status", "html"),
    [("archived", False), ("archived", True), ("quarantined", False), ("quarantined", True)],
)
def test_release_stops_before_building_for_a_project_the_index_closed(
    status: str, html: bool, shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    reason = "Moved to tiny-pkg-ng"
    with provenance_standin.running(status={"status": status, "reason": reason}, html=html) as served:
        older_release(served, tmp_path)
        root = project(tmp_path, served)
        run = shipyard("release", "-C", str(root), env=CREDS)
        error = one_error(run, 2)
        assert error.startswith(f'error: stage marks tiny-pkg as {status} (PEP 792): "Moved to tiny-pkg-ng"')
        assert "refuses uploads to it" in error and "nothing was uploaded" in error
        assert not (root / "dist").exists(), "nothing is built"
        assert "building" not in run.text.lower()
        assert served.uploads == [] and served.problems == []
        assert served.pages == 1  # the status came with the one listing read


def test_publish_uploads_nothing_to_an_archived_project(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    with provenance_standin.running(status={"status": "archived"}) as served:
        older_release(served, tmp_path)
        root = project(tmp_path, served)
        assert shipyard("build", str(root)).code == 0
        run = shipyard("publish", "--to", "stage", "-C", str(root), env=CREDS)
        error = one_error(run, 2)
        assert "stage marks tiny-pkg as archived (PEP 792) (no reason given)" in error
        assert served.uploads == [] and served.problems == []


def test_a_deprecated_project_is_released_with_a_warning_and_the_reason_is_shown_escaped(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    reason = "Use \x1b]0;owned\x07tiny-pkg-ng\x1b[2J instead"
    with provenance_standin.running(status={"status": "deprecated", "reason": reason}) as served:
        older_release(served, tmp_path)
        root = project(tmp_path, served)
        run = shipyard("release", "--no-test-install", "-C", str(root), env=CREDS)
        assert sorted(u.filename for u in served.uploads) == [
            "tiny_pkg-1.0.0-py3-none-any.whl",
            "tiny_pkg-1.0.0.tar.gz",
        ], run.text
        warning = [line for line in run.err.splitlines() if "deprecated (PEP 792)" in line]
        assert warning, run.err
        assert "\\x1b]0;owned\\x07tiny-pkg-ng\\x1b[2J" in warning[0] and "\x1b" not in run.text
        assert "it still takes uploads" in warning[0]
        assert run.code == 0, run.text
