"""A credential goes only to the URL it was declared for (issue 12, point 7), against two real
pypiservers on different ports that both accept the credential under test: had it been sent to the
wrong one, that upload would have succeeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.errors import CredentialError
from shipyard.index.base import Credential
from shipyard.index.open import open_index
from shipyard.secrets import Secret
from shipyard.tools.network import Network
from tests.helpers.indexes import USERNAME, TestIndex, start_pypiserver
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml

pytestmark = pytest.mark.integration

TOKEN = "pypi-" + "AgEIcHlwaS5vcmc" + "the-real-pypi-token-of-this-machine"


def _servers(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    return a, b


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


def test_pypirc_credentials_are_used_only_for_their_sections_url(
    shipyard: ShipyardCLI, tmp_path: Path, home: Path
) -> None:
    a_dir, b_dir = _servers(tmp_path)
    users = {"__token__": TOKEN}
    with start_pypiserver(a_dir, users) as a, start_pypiserver(b_dir, users) as b:
        assert a.upload_url != b.upload_url
        # the project overrides the built-in pypi with server B; ~/.pypirc's [pypi] is PyPI's
        tool = '[tool.shipyard]\nstages = ["pypi"]\n\n' + repositories_toml(pypi=b, staging=a)
        root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
        (home / ".pypirc").write_text(
            f"[distutils]\nindex-servers = pypi staging\n\n[pypi]\nusername = __token__\npassword = {TOKEN}\n\n"
            f"[staging]\nrepository = {a.upload_url}\nusername = {USERNAME}\npassword = {a.password}\n"
        )
        assert shipyard("build", "-C", str(root)).code == 0

        run = shipyard("publish", "--to", "pypi", "-C", str(root))
        assert run.code == 2, run.text
        (error,) = _errors(run.err)
        assert "no credential for repository 'pypi'" in error
        assert f"[pypi] is for https://upload.pypi.org/legacy/, not {b.upload_url}" in error
        assert "real-pypi-token" not in run.text

        # [staging] is declared for A: a --repository-url pointing at B does not get it
        run = shipyard(
            "publish",
            "--to",
            "staging",
            "--repository-url",
            b.upload_url,
            "--simple-url",
            b.simple_url,
            "-C",
            str(root),
        )
        assert run.code == 2 and f"[staging] is for {a.upload_url}, not {b.upload_url}" in run.err, run.text
        assert b.served_files("tiny-pkg") == {}

        run = shipyard("publish", "--to", "staging", "-C", str(root))  # its own URL: used
        assert run.code == 0, run.text
        assert len(a.served_files("tiny-pkg")) == 2


def test_twine_password_is_not_offered_to_every_stage(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    a_dir, b_dir = _servers(tmp_path)
    with start_pypiserver(a_dir) as a, start_pypiserver(b_dir) as b:
        tool = '[tool.shipyard]\nstages = ["staging", "prod"]\n\n' + repositories_toml(staging=a, prod=b)
        root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
        twine = {"TWINE_USERNAME": a.username, "TWINE_PASSWORD": a.password}  # B accepts it too

        run = shipyard("release", "--no-test-install", "-C", str(root), env=twine)
        assert run.code == 2, run.text
        (error,) = _errors(run.err)
        assert error.startswith("error: no credential for repository 'staging'")
        assert "TWINE_PASSWORD is used only for one target (publish, or a one-stage release)" in error
        assert not (root / "dist").exists()  # refused before anything was built
        assert a.served_files("tiny-pkg") == {} and b.served_files("tiny-pkg") == {}

        # the publish command's one target may use it
        assert shipyard("build", "-C", str(root)).code == 0
        run = shipyard("publish", "--to", "staging", "-C", str(root), env=twine)
        assert run.code == 0, run.text
        assert len(a.served_files("tiny-pkg")) == 2 and b.served_files("tiny-pkg") == {}


def test_an_index_refuses_a_credential_declared_for_another_origin(
    tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    (tmp_path / "b").mkdir()
    with start_pypiserver(tmp_path / "b") as other:
        theirs = Repository("b", other.upload_url, other.simple_url)
        cred = Credential(USERNAME, Secret(fresh_pypiserver.password), "test", fresh_pypiserver.upload_url)
        with pytest.raises(CredentialError) as caught:
            open_index(theirs, cred, Network())
        assert caught.value.message.startswith(
            f"the credential from test is for {fresh_pypiserver.upload_url}, not for b ({other.upload_url})"
        )
        ours = Repository("a", fresh_pypiserver.upload_url, fresh_pypiserver.simple_url)
        assert open_index(ours, cred, Network()).read("tiny-pkg").files == {}
