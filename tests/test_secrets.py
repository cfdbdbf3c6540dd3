"""No secret ever appears: every command, successful or failing, verbose or --debug or --json, and every
file shipyard writes, is scanned for the known credentials."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import Run, ShipyardCLI, make_project, repositories_toml

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.apache import HtpasswdFile

pytestmark = pytest.mark.integration

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGZha2UtdG9rZW4tZm9yLXNoaXB5YXJkLXRlc3Rz"  # shipyard: fake-token
WRONG_TOKEN = "pypi-AgEIcHlwaS5vcmcCJHdyb25nLXRva2VuLWZvci1zaGlweWFyZC10ZXN0cw"  # shipyard: fake-token
DOTENV_TOKEN = "pypi-AgEIcHlwaS5vcmcCJGRvdGVudi10b2tlbi1mb3Itc2hpcHlhcmQtdGVzdHM"  # shipyard: fake-token
SECRETS = (TOKEN, WRONG_TOKEN, DOTENV_TOKEN)


def assert_clean(run: Run, what: str) -> None:
    for secret in SECRETS:
        assert secret not in run.out and secret not in run.err, f"{what} leaked a token:\n{run.text}"
        assert secret[5:] not in run.text, f"{what} leaked the body of a token"


def test_no_command_ever_shows_a_token(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    # the server accepts TOKEN as __token__'s password, as PyPI does with API tokens
    htpasswd = HtpasswdFile(str(fresh_pypiserver.root.parent / "htpasswd"))
    htpasswd.set_password("__token__", TOKEN)
    htpasswd.save()
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, wrong=fresh_pypiserver, dotenv=fresh_pypiserver
    )
    root = make_project(tmp_path / "proj", tool=tool)
    (root / ".env").write_text(f"SHIPYARD_DOTENV_TOKEN={DOTENV_TOKEN}\n")
    env = {"SHIPYARD_STAGING_TOKEN": TOKEN, "SHIPYARD_WRONG_TOKEN": WRONG_TOKEN}
    project = ["-C", str(root)]
    commands = [
        (0, ["build", *project, "--verbose"]),
        (0, ["check", *project, "--debug"]),
        (0, ["test-install", *project, "--verbose"]),
        (1, ["publish", "--to", "wrong", *project, "--debug", "--verbose"]),
        (1, ["publish", "--to", "dotenv", *project, "--debug", "--json"]),
        (1, ["verify", "--on", "wrong", "--timeout", "0", *project, "--verbose", "--debug"]),
        (1, ["release", "--stages", "wrong", *project, "--debug", "--verbose", "--no-test-install"]),
        (0, ["publish", "--to", "staging", *project, "--debug", "--verbose"]),
        (0, ["publish", "--to", "staging", *project, "--json"]),
        (0, ["verify", "--on", "staging", *project, "--debug"]),
        (0, ["release", *project, "--debug", "--verbose"]),
        (0, ["release", *project, "--json"]),
        (2, ["publish", "--repository-url", f"http://__token__:{TOKEN}@127.0.0.1:9/", *project, "--debug"]),
        (2, ["publish", "--repository-url", f"ftp://__token__:{TOKEN}@127.0.0.1/", *project, "--json"]),
    ]
    for expected, args in commands:
        run = shipyard(*args, env=env)
        assert_clean(run, " ".join(args))
        # each path, successful or failing, was really taken
        assert run.code == expected, (args, run.text)
    for path in [*root.rglob("*"), *fresh_pypiserver.root.rglob("*")]:
        if path.is_file() and path.name != ".env":
            data = path.read_bytes()
            assert not any(s.encode() in data for s in SECRETS), f"{path} holds a token"
