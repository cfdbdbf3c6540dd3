from __future__ import annotations

from pathlib import Path

import pytest

from shipyard import events
from shipyard.config import Repository
from shipyard.errors import CredentialError
from shipyard.index.base import Credential
from shipyard.index.credentials import for_stages, resolve
from tests.helpers.projects import git

REPO = Repository("corp-index", "https://pypi.corp.example/legacy/", "https://pypi.corp.example/simple/")
OTHER = Repository("other", "https://other.example:8443/legacy/", "https://other.example:8443/simple/")


@pytest.fixture(autouse=True)
def _no_user_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("SHIPYARD_PYPIRC", str(tmp_path / "no-pypirc"))


def test_token_beats_everything(tmp_path: Path) -> None:
    env = {"SHIPYARD_CORP_INDEX_TOKEN": "pypi-tok", "TWINE_PASSWORD": "tw"}
    cred = resolve(REPO, tmp_path, env)
    assert (
        isinstance(cred, Credential) and cred.username == "__token__" and cred.password.reveal() == "pypi-tok"
    )
    assert cred.source == "SHIPYARD_CORP_INDEX_TOKEN"


def test_username_password_then_twine(tmp_path: Path) -> None:
    cred = resolve(
        REPO, tmp_path, {"SHIPYARD_CORP_INDEX_USERNAME": "me", "SHIPYARD_CORP_INDEX_PASSWORD": "pw"}
    )
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == ("me", "pw")
    cred = resolve(REPO, tmp_path, {"TWINE_USERNAME": "tu", "TWINE_PASSWORD": "tp"}, one_off=True)
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == ("tu", "tp")
    assert cred.url == REPO.upload_url


def test_twine_password_serves_one_target_never_every_stage(tmp_path: Path) -> None:
    twine = {"TWINE_USERNAME": "tu", "TWINE_PASSWORD": "tp"}
    with pytest.raises(CredentialError) as caught:
        for_stages([REPO, OTHER], tmp_path, twine, events.ignore)
    assert caught.value.message.startswith(
        "no credential for repository 'corp-index': set SHIPYARD_CORP_INDEX_TOKEN (or "
        "SHIPYARD_CORP_INDEX_USERNAME and SHIPYARD_CORP_INDEX_PASSWORD) in the environment or in .env; "
        "TWINE_PASSWORD is used only for one target (publish, or a one-stage release), not for the "
        "stages of a multi-stage release; looked at: "
    )
    (cred,) = for_stages([REPO], tmp_path, twine, events.ignore)  # a one-stage release: one target
    assert isinstance(cred, Credential) and cred.password.reveal() == "tp"


def test_pypirc_credentials_go_only_to_their_sections_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[pypi]\nusername = __token__\npassword = pypi-the-real-one\n\n"
        f"[corp-index]\nrepository = {OTHER.upload_url}\npassword = for-other\n"
    )
    monkeypatch.setenv("SHIPYARD_PYPIRC", str(pypirc))
    real = Repository("pypi", "https://upload.pypi.org/legacy", "https://pypi.org/simple/")
    cred = resolve(real, tmp_path, {})  # [pypi] without repository: twine's default, PyPI's upload URL
    assert isinstance(cred, Credential) and cred.password.reveal() == "pypi-the-real-one"
    assert cred.url == "https://upload.pypi.org/legacy/"
    overridden = Repository("pypi", "http://127.0.0.1:9/legacy/", "http://127.0.0.1:9/simple/")
    with pytest.raises(
        CredentialError,
        match=rf"\[pypi\] is for https://upload.pypi.org/legacy/, not {overridden.upload_url}",
    ):
        resolve(overridden, tmp_path, {})
    # [corp-index] names REPO but is declared for OTHER's URL: passed over for REPO, used for OTHER
    with pytest.raises(CredentialError, match=rf"\[corp-index\] is for {OTHER.upload_url}, not"):
        resolve(REPO, tmp_path, {})
    cred = resolve(OTHER, tmp_path, {})
    assert isinstance(cred, Credential) and cred.password.reveal() == "for-other"


def test_half_a_pair_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="SHIPYARD_CORP_INDEX_PASSWORD is not set"):
        resolve(REPO, tmp_path, {"SHIPYARD_CORP_INDEX_USERNAME": "me"})


def test_dotenv_then_pypirc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("# tokens\nSHIPYARD_CORP_INDEX_TOKEN=pypi-from-dotenv\n")
    cred = resolve(REPO, tmp_path, {})
    assert (
        isinstance(cred, Credential)
        and cred.password.reveal() == "pypi-from-dotenv"
        and "in .env" in cred.source
    )
    (tmp_path / ".env").unlink()
    pypirc = tmp_path / "pypirc"
    pypirc.write_text("[distutils]\nindex-servers = corp\n\n[corp]\nrepository = https://pypi.corp.example/legacy\n"
                      "username = deploy\npassword = from-pypirc\n")  # fmt: skip
    monkeypatch.setenv("SHIPYARD_PYPIRC", str(pypirc))
    cred = resolve(REPO, tmp_path, {})
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == (
        "deploy",
        "from-pypirc",
    )


def test_tracked_dotenv_is_refused(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".env").write_text("SHIPYARD_CORP_INDEX_TOKEN=pypi-committed\n")
    git(tmp_path, "add", ".env")
    with pytest.raises(CredentialError, match=r"\.env is tracked by git: remove it"):
        resolve(REPO, tmp_path, {})


def test_missing_credential_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="set SHIPYARD_CORP_INDEX_TOKEN"):
        resolve(REPO, tmp_path, {})


def test_repositories_without_auth_need_nothing(tmp_path: Path) -> None:
    open_repo = Repository("open", "http://127.0.0.1:1/", "http://127.0.0.1:1/simple/", needs_auth=False)
    assert resolve(open_repo, tmp_path, {}) is None


def test_dotenv_linked_to_a_tracked_file_is_refused_naming_both(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "ci.env").write_text("SHIPYARD_CORP_INDEX_TOKEN=pypi-committed-elsewhere\n")
    git(tmp_path, "add", "config/ci.env")
    (tmp_path / ".env").symlink_to("config/ci.env")
    target = (tmp_path / "config" / "ci.env").resolve()
    with pytest.raises(CredentialError, match=rf"\.env is a link to {target}, which git tracks: replace"):
        resolve(REPO, tmp_path, {})
    # the same link to an untracked (ignored) file is a plain .env that lives elsewhere: read
    git(tmp_path, "rm", "-q", "--cached", "config/ci.env")
    cred = resolve(REPO, tmp_path, {})
    assert isinstance(cred, Credential) and cred.password.reveal() == "pypi-committed-elsewhere"


def test_dotenv_linked_outside_the_project_is_refused(tmp_path: Path) -> None:
    project, outside = tmp_path / "proj", tmp_path / "shared.env"
    project.mkdir()
    git(project, "init", "-q")
    outside.write_text("SHIPYARD_CORP_INDEX_TOKEN=pypi-from-outside\n")
    (project / ".env").symlink_to(outside)
    with pytest.raises(
        CredentialError, match=rf"\.env is a link to {outside.resolve()}, outside the project"
    ):
        resolve(REPO, project, {})
    # refused even when the credential comes from the environment (the release entry points ask first)
    env = {"SHIPYARD_CORP_INDEX_TOKEN": "pypi-env"}
    with pytest.raises(CredentialError, match="outside the project"):
        for_stages([REPO], project, env, events.ignore)


def test_uv_publish_variables_serve_one_target_after_twines(tmp_path: Path) -> None:
    token = {"UV_PUBLISH_TOKEN": "pypi-uv-token"}
    cred = resolve(REPO, tmp_path, token, one_off=True)
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == (
        "__token__",
        "pypi-uv-token",
    )
    assert (cred.source, cred.url) == ("UV_PUBLISH_TOKEN", REPO.upload_url)
    pair = {"UV_PUBLISH_USERNAME": "uu", "UV_PUBLISH_PASSWORD": "up"}
    cred = resolve(REPO, tmp_path, pair, one_off=True)
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == ("uu", "up")
    cred = resolve(REPO, tmp_path, {**pair, "TWINE_PASSWORD": "tp"}, one_off=True)
    assert isinstance(cred, Credential) and cred.source == "TWINE_PASSWORD"  # twine's before uv's
    with pytest.raises(CredentialError, match="UV_PUBLISH_TOKEN is used only for one target"):
        for_stages([REPO, OTHER], tmp_path, token, events.ignore)


def test_the_prompt_is_the_last_resort_and_its_credential_is_bound_to_the_url(tmp_path: Path) -> None:
    asked: list[str] = []

    def ask(repository: Repository) -> tuple[str, str] | None:
        asked.append(repository.name)
        return ("typed", "typed-password")

    cred = resolve(REPO, tmp_path, {"SHIPYARD_CORP_INDEX_TOKEN": "pypi-env"}, one_off=True, ask=ask)
    assert isinstance(cred, Credential) and cred.source == "SHIPYARD_CORP_INDEX_TOKEN" and asked == []
    cred = resolve(REPO, tmp_path, {}, one_off=True, ask=ask)
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == (
        "typed",
        "typed-password",
    )
    assert (cred.source, cred.url, asked) == ("the password prompt", REPO.upload_url, ["corp-index"])
    with pytest.raises(CredentialError, match=r"the password prompt \(none given\)"):
        resolve(REPO, tmp_path, {}, one_off=True, ask=lambda repository: None)


def test_no_credential_names_every_source_looked_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    azure = tmp_path / "azure-pypirc"
    monkeypatch.delenv("SHIPYARD_PYPIRC")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(CredentialError) as caught:
        resolve(REPO, tmp_path, {"PYPIRC_PATH": str(azure)}, one_off=True)
    looked = caught.value.message.split("; looked at: ", 1)[1]
    for source in (
        "SHIPYARD_CORP_INDEX_TOKEN, SHIPYARD_CORP_INDEX_USERNAME/SHIPYARD_CORP_INDEX_PASSWORD",
        "TWINE_USERNAME/TWINE_PASSWORD",
        "UV_PUBLISH_TOKEN, UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD",
        "(environment and .env)",
        f"keyring ({REPO.upload_url})",
        f"{azure} and {tmp_path / 'home' / '.pypirc'}",
        "trusted publishing",
        "no password prompt",
        "no credential as a flag",
    ):
        assert source in looked, (source, looked)
    with pytest.raises(CredentialError) as caught:  # a stage of a release: TWINE_*, UV_* not looked at
        resolve(REPO, tmp_path, {})
    assert "TWINE_" not in caught.value.message and "UV_PUBLISH" not in caught.value.message
