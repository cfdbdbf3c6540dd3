"""A committed `.env` stops `publish` and `release` before anything is built, even when this run's
credentials come from the environment (issue 12, point 6): exit 2, one error line, nothing uploaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git
from tests.helpers.releases import staging_project

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("how", ["tracked", "linked"])
def test_publish_and_release_refuse_a_committed_dotenv(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, how: str
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    if how == "tracked":
        (root / ".env").write_text("SHIPYARD_PYPI_TOKEN=pypi-committed-by-mistake\n")
        git(root, "add", "-f", ".env")
        said = ".env is tracked by git: remove it"
    else:
        (root / "config").mkdir()
        (root / "config" / "ci.env").write_text("SHIPYARD_PYPI_TOKEN=pypi-committed-by-mistake\n")
        git(root, "add", "config/ci.env")
        (root / ".env").symlink_to("config/ci.env")
        said = f".env is a link to {(root / 'config' / 'ci.env').resolve()}, which git tracks"
    git(root, "commit", "-qm", "oops")

    for args in (["release", "--no-test-install"], ["publish", "--to", "staging"]):
        run = shipyard(*args, "-C", str(root), env=env)
        assert run.code == 2, (args, run.text)
        errors = [line for line in run.err.splitlines() if line.strip()]
        assert len(errors) == 1 and errors[0].startswith("error: ") and said in errors[0], run.err
        assert "committed-by-mistake" not in run.text
    assert not (root / "dist").exists()  # refused before any build
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
