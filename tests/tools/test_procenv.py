"""The allow-list of tools/procenv.py, decision by decision (the CLI tests in
tests/release/test_children_env.py show every kind of child gets it)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from shipyard import secrets
from shipyard.secrets import Secret, held
from shipyard.tools import procenv
from shipyard.tools.procenv import child_env, isolated_installer_env

UPLOAD = "Tz8-upload-3e5a7c9b1d2f"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        monkeypatch.delenv(name)
    # the secrets an earlier test of this worker registered (a password "true"...) are not this one's
    monkeypatch.setattr(secrets, "_known", set())
    monkeypatch.setattr(secrets, "_values", set())
    yield
    procenv.pass_env(())


def test_only_allowed_names_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "HTTPS_PROXY": "http://p:3128",
               "SSL_CERT_FILE": "/ca.pem", "PIP_INDEX_URL": "https://i/simple", "UV_NO_CACHE": "1",
               "SETUPTOOLS_SCM_PRETEND_VERSION": "1.2", "GIT_SSH_COMMAND": "ssh", "CI": "true"}  # fmt: skip
    denied = {"DEPLOY_KEY": "k", "PROD_PYPI_TOKEN": "t", "UV_PUBLISH_TOKEN": "u", "UV_PUBLISH_USERNAME": "me",
              "UV_INDEX_CORP_PASSWORD": "p", "PYTHON_UPLOAD_SECRET": "s", "AWS_SECRET_ACCESS_KEY": "a"}  # fmt: skip
    for name, value in {**allowed, **denied}.items():
        monkeypatch.setenv(name, value)
    assert child_env() == allowed
    assert "PIP_INDEX_URL" not in child_env(drop_prefixes=("PIP_",))
    installer = isolated_installer_env({"UV_INDEX_URL": "http://127.0.0.1/simple/"})
    assert not {k for k in installer if k.startswith("PIP_") and k != "PIP_CONFIG_FILE"}
    assert installer["UV_INDEX_URL"] == "http://127.0.0.1/simple/"


@pytest.mark.parametrize(
    "value",
    [
        UPLOAD,
        f"--password={UPLOAD}",  # holding a registered value
        "pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4OTA",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "github_pat_11ABCDEFG0abcdefghijklmnop",
        "glpat-abcdefghij0123456789",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    ],
)
def test_a_credential_value_never_passes_whatever_its_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    Secret(UPLOAD)
    monkeypatch.setenv("PIP_ANYTHING", value)
    monkeypatch.setenv("NAMED", value)
    procenv.pass_env(["NAMED"])
    assert held(value)
    assert child_env() == {}
    assert child_env({"ON_PURPOSE": value}) == {"ON_PURPOSE": value}  # the caller's own decision


def test_pass_env_adds_names_and_ordinary_values_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SETTING", "blue")
    monkeypatch.setenv("NPM_TOKEN", "npm-abc")  # a secret's name, but named by the user
    assert child_env() == {}
    procenv.pass_env(["MY_SETTING", "NPM_TOKEN"])
    assert child_env() == {"MY_SETTING": "blue", "NPM_TOKEN": "npm-abc"}


def test_credential_variables_are_registered_by_name() -> None:
    token = "Qp7-forge-5b3d1f9e7c2a"
    assert not held(token)
    procenv.register_credentials({"GITLAB_TOKEN": token, "PLAIN": "Rx2-plain-8e6c4a2f0d1b"})
    assert held(token) and not held("Rx2-plain-8e6c4a2f0d1b")


def test_a_proxys_own_login_passes_with_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """shipyard registers a proxy's password to mask it; the installers need it to get anywhere."""
    Secret("proxy-pass-7f3e1c")
    monkeypatch.setenv("HTTPS_PROXY", "http://me:proxy-pass-7f3e1c@proxy:3128")
    monkeypatch.setenv("MY_PROXY_COPY", "proxy-pass-7f3e1c")
    procenv.pass_env(["MY_PROXY_COPY"])
    assert child_env() == {"HTTPS_PROXY": "http://me:proxy-pass-7f3e1c@proxy:3128"}
