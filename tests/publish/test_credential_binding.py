"""A credential goes only to the URL it was declared for (issue 12, point 7), against two real
pypiservers on different ports that both accept the credential under test: had it been sent to the
wrong one, that upload would have succeeded."""

from __future__ import annotations

import contextlib
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


TWINE_USER, TWINE_PASS = "twine-user", "twine-password-of-this-machine"
UV_USER, UV_PASS = "uv-user", "uv-password-of-this-machine"
UV_TOKEN = "pypi-" + "AgEIcHlwaS5vcmc" + "uv-publish-token-of-this-machine"


def _start(tmp_path: Path, name: str, users: dict[str, str]) -> contextlib.AbstractContextManager[TestIndex]:
    (tmp_path / name).mkdir()
    return start_pypiserver(tmp_path / name, users)


def test_twine_and_uv_credentials_each_go_only_to_their_own_tools_target(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """Issue 21, point 8: TWINE_* binds to the target twine's variables name, UV_PUBLISH_* to uv's.
    The servers accept the credential that must not reach them: had it been sent, it would have
    uploaded; the last one accepts only uv's, so the uv credential is the one that went there."""
    root = make_project(tmp_path / "proj", with_tests=False)
    assert shipyard("build", "-C", str(root)).code == 0
    twine = {"TWINE_USERNAME": TWINE_USER, "TWINE_PASSWORD": TWINE_PASS}
    everyone = {TWINE_USER: TWINE_PASS, UV_USER: UV_PASS, "__token__": UV_TOKEN}
    with (
        _start(tmp_path, "uvs", everyone) as uvs,
        _start(tmp_path, "twines", everyone) as twines,
        _start(tmp_path, "uv-only", {UV_USER: UV_PASS}) as uv_only,
    ):
        run = shipyard("publish", "-C", str(root), env={**twine, "UV_PUBLISH_URL": uvs.upload_url})
        assert run.code == 2, run.text
        (error,) = _errors(run.err)
        assert error.startswith("error: no credential for repository 'custom'")
        assert (
            "TWINE_PASSWORD is twine's, and UV_PUBLISH_URL names uv's target: set UV_PUBLISH_TOKEN" in error
        )
        assert uvs.served_files("tiny-pkg") == {}

        env = {"UV_PUBLISH_TOKEN": UV_TOKEN, "TWINE_REPOSITORY_URL": twines.upload_url}
        run = shipyard("publish", "-C", str(root), env=env)
        assert run.code == 2, run.text
        (error,) = _errors(run.err)
        assert "UV_PUBLISH_TOKEN is uv's, and TWINE_REPOSITORY_URL names twine's target" in error
        assert twines.served_files("tiny-pkg") == {} and UV_TOKEN not in run.text

        # twine's target named by a flag: TWINE_* bound to TWINE_REPOSITORY_URL's index stays there
        env = {**twine, "TWINE_REPOSITORY_URL": twines.upload_url}
        run = shipyard("publish", "--repository-url", uvs.upload_url, "-C", str(root), env=env)
        assert run.code == 2, run.text
        assert (
            f"TWINE_PASSWORD is for TWINE_REPOSITORY_URL ({twines.upload_url}), not {uvs.upload_url}"
            in run.err
        )
        assert uvs.served_files("tiny-pkg") == {}

        # each tool's own: twine's to its target, uv's to its target, with the other's set beside it
        uv = {
            "UV_PUBLISH_URL": uv_only.upload_url,
            "UV_PUBLISH_USERNAME": UV_USER,
            "UV_PUBLISH_PASSWORD": UV_PASS,
        }
        run = shipyard("publish", "-C", str(root), env={**twine, **uv})
        assert run.code == 0 and "custom: 2 uploaded" in run.out, run.text
        assert len(uv_only.served_files("tiny-pkg")) == 2
        run = shipyard(
            "publish",
            "-C",
            str(root),
            env={**twine, "UV_PUBLISH_TOKEN": UV_TOKEN, "TWINE_REPOSITORY_URL": twines.upload_url},
        )
        assert run.code == 0 and "custom: 2 uploaded" in run.out, run.text
        assert len(twines.served_files("tiny-pkg")) == 2
        assert TWINE_PASS not in run.text and UV_PASS not in run.text


def test_a_credential_named_for_pypi_goes_to_pypi_only(
    shipyard: ShipyardCLI, tmp_path: Path, home: Path
) -> None:
    """Issue 21, point 12: a project (or --repository-url) that calls another index `pypi` does not
    get SHIPYARD_PYPI_TOKEN, from the environment or .env; the server would have taken it."""
    with _start(tmp_path, "elsewhere", {"__token__": TOKEN}) as elsewhere:
        tool = '[tool.shipyard]\nstages = ["pypi"]\n\n' + repositories_toml(pypi=elsewhere)
        root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
        env = {"SHIPYARD_PYPI_TOKEN": TOKEN}
        run = shipyard("release", "--no-test-install", "-C", str(root), env=env)
        (error,) = _errors(run.err)
        assert run.code == 2 and len(run.err.splitlines()) == 1, run.text
        assert error.startswith(
            f"error: SHIPYARD_PYPI_TOKEN is PyPI's credential, but repository 'pypi' here is {elsewhere.upload_url}"
        )
        assert "SHIPYARD_CUSTOM_TOKEN" in error and "SHIPYARD_CORP_TOKEN" in error
        assert not (root / "dist").exists() and "real-pypi-token" not in run.text
        (root / ".gitignore").write_text(".env\n")
        (root / ".env").write_text(f"SHIPYARD_PYPI_TOKEN={TOKEN}\n")
        assert shipyard("build", "-C", str(root)).code == 0
        run = shipyard("publish", "--to", "pypi", "-C", str(root))
        assert run.code == 2 and "SHIPYARD_PYPI_TOKEN in .env is PyPI's credential" in run.err, run.text
        (root / ".env").unlink()

        # the built-in pypi, pointed elsewhere by --repository-url: the same
        url = ("--repository-url", elsewhere.upload_url, "--simple-url", elsewhere.simple_url)
        run = shipyard("publish", "--to", "pypi", *url, "-C", str(root), env=env)
        assert run.code == 2 and "SHIPYARD_PYPI_TOKEN is PyPI's credential" in run.err, run.text
        assert elsewhere.served_files("tiny-pkg") == {}
        # named as its own, it gets its own credential
        run = shipyard("publish", *url, "-C", str(root), env={**env, "SHIPYARD_CUSTOM_TOKEN": TOKEN})
        assert run.code == 0 and "custom: 2 uploaded" in run.out, run.text
