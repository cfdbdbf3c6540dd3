"""A password outside latin-1 (`€`) is sent as UTF-8, as RFC 7617 says and the indexes decode it:
the upload, the verify read and its install from the index all log in (issue 21, point 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import start_pypiserver
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml

pytestmark = pytest.mark.integration

PASSWORD = "grüße-€-Kennwort-2026"


@pytest.mark.parametrize("reads", ["update", "download,list,update"])
def test_a_password_with_a_euro_sign_uploads_verifies_and_installs(
    shipyard: ShipyardCLI, tmp_path: Path, reads: str
) -> None:
    (tmp_path / "server").mkdir()
    with start_pypiserver(tmp_path / "server", users={"jürgen": PASSWORD}, authenticate=reads) as server:
        tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=server)
        root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
        env = {"SHIPYARD_STAGING_USERNAME": "jürgen", "SHIPYARD_STAGING_PASSWORD": PASSWORD}

        run = shipyard("release", "--json", "-C", str(root), env=env)

        assert run.code == 0, run.text
        assert "Traceback" not in run.text and PASSWORD not in run.text
        doc = json.loads(run.out)
        assert [s["verified"] for s in doc["stages"]] == [True]
        assert sorted(p.name for p in server.root.iterdir()) == [
            "tiny_pkg-1.0.0-py3-none-any.whl",
            "tiny_pkg-1.0.0.tar.gz",
        ]
