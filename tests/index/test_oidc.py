"""Trusted publishing end to end: the CI's OIDC token traded at the index for an upload token.

The CI provider and the index's OIDC endpoints are the local stand-in (tests/helpers/oidc_standin.py, the
one place a stand-in is right: no real CI runs here); the upload goes to a real pypiserver that
accepts `__token__` with the token the stand-in mints, and the files must then be served.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.config import Repository, load
from shipyard.errors import CredentialError
from shipyard.index.ci import provider
from shipyard.index.oidc import check_audience, gitlab_token_var, oidc_base
from tests.helpers import oidc_standin
from tests.helpers.indexes import TestIndex, start_pypiserver
from tests.helpers.projects import Run, ShipyardCLI, make_project

pytestmark = pytest.mark.integration

SECRETS = (
    oidc_standin.REQUEST_TOKEN,
    oidc_standin.GITHUB_JWT,
    oidc_standin.GITLAB_JWT,
    oidc_standin.MINTED,
)


@pytest.fixture
def standin() -> Iterator[oidc_standin.StandIn]:
    with oidc_standin.running() as state:
        yield state


@pytest.fixture
def token_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestIndex]:
    """A pypiserver that takes uploads from `__token__` with the stand-in's minted token only."""
    with start_pypiserver(
        tmp_path_factory.mktemp("oidc-pypiserver"), {"__token__": oidc_standin.MINTED}
    ) as index:
        yield index


def project(tmp_path: Path, index: TestIndex, oidc_url: str) -> Path:
    tool = (
        '[tool.shipyard]\nstages = ["staging"]\n\n[tool.shipyard.repositories.staging]\n'
        f'upload-url = "{index.upload_url}"\nsimple-url = "{index.simple_url}"\noidc-url = "{oidc_url}"\n'
    )
    return make_project(tmp_path / "proj", "oidc-pkg", "1.0.0", tool=tool)


def github_env(standin: oidc_standin.StandIn) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": standin.token_request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc_standin.REQUEST_TOKEN,
    }


def assert_no_secret(run: Run) -> None:
    for secret in SECRETS:
        for piece in (secret, secret[-16:]):
            assert piece not in run.text, f"a secret reached the output: ...{secret[-6:]}"


def test_oidc_base_is_on_the_upload_host_unless_configured(tmp_path: Path) -> None:
    cfg = load(tmp_path, pyproject={})
    assert oidc_base(cfg.repository("pypi")) == "https://upload.pypi.org/_/oidc/"
    assert oidc_base(cfg.repository("testpypi")) == "https://test.pypi.org/_/oidc/"
    table = {"upload-url": "http://127.0.0.1:9/legacy/", "oidc-url": "http://127.0.0.1:8/"}
    cfg = load(tmp_path, pyproject={"tool": {"shipyard": {"repositories": {"x": table}}}})
    assert cfg.repository("x").oidc_url == "http://127.0.0.1:8/"
    assert oidc_base(cfg.repository("x")) == "http://127.0.0.1:8/_/oidc/"
    assert (
        oidc_base(Repository("y", "http://h/u/", "http://h/s/", oidc_url="http://o/_/oidc"))
        == "http://o/_/oidc/"
    )


def test_github_actions_publishes_with_a_minted_token(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    root = project(tmp_path, token_index, standin.url)
    assert shipyard("build", cwd=root).code == 0
    run = shipyard("publish", "--to", "staging", "-v", "--no-attest", cwd=root, env=github_env(standin))
    assert run.code == 0, run.text
    assert standin.problems == []
    assert standin.calls == [  # --no-attest: no identity asked for Sigstore
        "GET /_/oidc/audience",
        f"GET /ci/token?audience={oidc_standin.AUDIENCE}",  # the early check: the CI gives one
        f"GET /ci/token?audience={oidc_standin.AUDIENCE}",  # a fresh one for the mint (taken once)
        "POST /_/oidc/mint-token",
        "POST /_/oidc/burn-token",
    ]
    said = f"trusted publishing for staging: an OIDC id token from GitHub Actions for audience '{oidc_standin.AUDIENCE}', traded at {standin.url}_/oidc/mint-token"
    assert said in run.out, run.text
    assert sorted(token_index.served_files("oidc-pkg")) == [
        "oidc_pkg-1.0.0-py3-none-any.whl",
        "oidc_pkg-1.0.0.tar.gz",
    ]
    assert_no_secret(run)


def test_trusted_publishing_signs_attestations_or_says_once_why_not(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    """The CI identity is asked for a `sigstore` token through `id`; Sigstore cannot be reached
    from here (and the stand-in's token is no real one), so the upload goes on without attestations."""
    root = project(tmp_path, token_index, standin.url)
    assert shipyard("build", cwd=root).code == 0
    run = shipyard("publish", "--to", "staging", cwd=root, env=github_env(standin))
    assert run.code == 0, run.text
    assert standin.problems == []
    assert f"GET /ci/token?audience={oidc_standin.SIGSTORE}" in standin.calls
    said = [line for line in run.err.splitlines() if "sign" in line]
    assert len(said) == 1 and "cannot sign attestations with the GitHub Actions identity" in said[0], run.err
    assert said[0].endswith("uploading without attestations")
    assert len(token_index.served_files("oidc-pkg")) == 2
    assert_no_secret(run)
    assert oidc_standin.jwt("github", oidc_standin.SIGSTORE) not in run.text


def test_attestations_asked_for_fail_before_upload_when_signing_cannot(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    root = project(tmp_path, token_index, standin.url)
    assert shipyard("build", cwd=root).code == 0
    run = shipyard("publish", "--to", "staging", "--attestations", cwd=root, env=github_env(standin))
    assert run.code == 1, run.text
    lines = run.err.strip().splitlines()
    assert (
        lines[-1].startswith("error: cannot sign attestations")
        and "not uploading (--attestations)" in lines[-1]
    )
    assert [line for line in lines if line.startswith("error")] == [lines[-1]]
    assert not token_index.served_files("oidc-pkg")
    assert_no_secret(run)


def test_gitlab_ci_releases_with_its_id_token(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    root = project(tmp_path, token_index, standin.url)
    env = {
        "GITLAB_CI": "true",
        "MY_ID_TOKEN": oidc_standin.GITLAB_JWT,
        "SHIPYARD_OIDC_TOKEN_VAR": "MY_ID_TOKEN",
    }
    run = shipyard("release", "--json", "--no-test-install", "--no-verify-install", cwd=root, env=env)
    assert run.code == 0, run.text
    assert standin.problems == []
    assert standin.calls == ["GET /_/oidc/audience", "POST /_/oidc/mint-token", "POST /_/oidc/burn-token"]
    assert len(token_index.served_files("oidc-pkg")) == 2
    assert_no_secret(run)


def test_another_credential_wins_and_no_exchange_happens(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    root = project(tmp_path, token_index, standin.url)
    assert shipyard("build", cwd=root).code == 0
    env = {**github_env(standin), "SHIPYARD_STAGING_TOKEN": "pypi-not-the-minted-one-0123456789"}
    run = shipyard("publish", "--to", "staging", cwd=root, env=env)
    assert run.code == 1 and "rejected the credential" in run.err  # the index knows only the minted token
    assert "SHIPYARD_STAGING_TOKEN" in run.err
    assert standin.calls == []


def one_line_error(run: Run) -> str:
    assert run.code == 2, run.text
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.err
    assert_no_secret(run)
    return lines[0]


def test_github_without_id_token_permission(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    root = project(tmp_path, token_index, standin.url)
    line = one_line_error(shipyard("publish", "--to", "staging", cwd=root, env={"GITHUB_ACTIONS": "true"}))
    assert "permissions: id-token: write" in line and "SHIPYARD_STAGING_TOKEN" in line


def test_gitlab_without_id_tokens_names_the_audience(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    root = project(tmp_path, token_index, standin.url)
    line = one_line_error(shipyard("publish", "--to", "staging", cwd=root, env={"GITLAB_CI": "true"}))
    assert f"id_tokens: STANDIN_PYPI_ID_TOKEN: aud: {oidc_standin.AUDIENCE}" in line


def test_gitlab_takes_the_id_token_of_the_audience_the_index_asks_for(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex
) -> None:
    """One id token per audience (`id` reads <AUD>_ID_TOKEN): the stage gets its own audience's one,
    and PyPI's and TestPyPI's, there in the same job, stay where they are."""
    with oidc_standin.running(audience="corp-index") as standin:
        root = project(tmp_path, token_index, standin.url)
        assert shipyard("build", cwd=root).code == 0
        env = {
            "GITLAB_CI": "true",
            "PYPI_ID_TOKEN": oidc_standin.jwt("gitlab", "pypi"),
            "TESTPYPI_ID_TOKEN": oidc_standin.jwt("gitlab", "testpypi"),
            "CORP_INDEX_ID_TOKEN": oidc_standin.jwt("gitlab", "corp-index"),
        }
        run = shipyard("publish", "--to", "staging", cwd=root, env=env)
        assert run.code == 0, run.text
        assert standin.problems == []  # the mint got the token issued for its own audience
        assert standin.calls == ["GET /_/oidc/audience", "POST /_/oidc/mint-token", "POST /_/oidc/burn-token"]
    assert "an OIDC id token from GitLab CI for audience 'corp-index'" in run.out, run.text
    for value in env.values():
        assert value == "true" or value not in run.text


@pytest.mark.parametrize("ci", ["github", "gitlab"])
@pytest.mark.parametrize("audience", ["pypi", "testpypi", "PyPI"])
def test_an_index_that_names_a_public_audience_gets_no_token(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, audience: str, ci: str
) -> None:
    """A custom stage answering PyPI's (or TestPyPI's) audience would get a token it could trade at
    PyPI for an upload token there: no token is asked for or sent, before anything is built."""
    with oidc_standin.running(audience=audience) as standin:
        root = project(tmp_path, token_index, standin.url)
        env = github_env(standin) if ci == "github" else {"GITLAB_CI": "true"}
        env |= {  # what a GitLab job publishing to PyPI and TestPyPI holds
            "PYPI_ID_TOKEN": oidc_standin.jwt("gitlab", "pypi"),
            "TESTPYPI_ID_TOKEN": oidc_standin.jwt("gitlab", "testpypi"),
        }
        run = shipyard("release", "--no-test-install", "--no-verify-install", cwd=root, env=env)
        assert standin.calls == ["GET /_/oidc/audience"], run.text  # neither asked for, nor minted
    line = one_line_error(run)
    public = "TestPyPI" if audience == "testpypi" else "PyPI"
    assert f"asks for an OIDC id token for audience '{audience}', which is {public}'s" in line
    assert f"to send to {standin.url}_/oidc/" in line and "nothing was sent" in line
    assert "SHIPYARD_STAGING_TOKEN" in line
    assert not token_index.served_files("oidc-pkg") and not (root / "dist").exists()
    for value in env.values():
        assert value == "true" or value not in run.text


def test_a_named_variables_token_for_a_public_audience_is_not_sent_elsewhere(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex, standin: oidc_standin.StandIn
) -> None:
    """SHIPYARD_OIDC_TOKEN_VAR is read as named: its token's own `aud` is checked before the mint."""
    root = project(tmp_path, token_index, standin.url)
    env = {"GITLAB_CI": "true", "SHIPYARD_OIDC_TOKEN_VAR": "MY_ID_TOKEN"}
    env["MY_ID_TOKEN"] = oidc_standin.jwt("gitlab", "pypi")
    line = one_line_error(shipyard("publish", "--to", "staging", cwd=root, env=env))
    assert standin.calls == ["GET /_/oidc/audience"]
    assert f"the OIDC token in $MY_ID_TOKEN is for audience pypi, not '{oidc_standin.AUDIENCE}'" in line
    assert oidc_standin.jwt("gitlab", "pypi") not in line
    # one that claims the index's audience and PyPI's too is no better
    env["MY_ID_TOKEN"] = oidc_standin.jwt("gitlab", [oidc_standin.AUDIENCE, "pypi"])
    line = one_line_error(shipyard("publish", "--to", "staging", cwd=root, env=env))
    assert standin.calls == ["GET /_/oidc/audience"] * 2
    assert "for audience 'pypi', which is PyPI's" in line


def test_a_public_audience_goes_only_to_its_own_hosts_over_https() -> None:
    pypi, testpypi = (
        Repository(n, f"https://{h}/legacy/", f"https://{h}/simple/")
        for n, h in (("pypi", "upload.pypi.org"), ("testpypi", "test.pypi.org"))
    )
    check_audience("pypi", oidc_base(pypi), pypi)  # PyPI's own: no error
    check_audience("testpypi", oidc_base(testpypi), testpypi)
    check_audience("corp", "http://127.0.0.1:9/_/oidc/", Repository("c", "http://127.0.0.1:9/", "x"))
    astray = [
        ("pypi", oidc_base(testpypi), testpypi),  # TestPyPI's host is not PyPI's
        ("pypi", "http://pypi.org/_/oidc/", pypi),  # not over https
        ("pypi", "https://pypi.org:8443/_/oidc/", pypi),
        ("pypi", "https://pypi.org/_/oidc/", Repository("c", "https://corp.example/", "x")),  # minted: astray
        ("PyPI", "https://corp.example/_/oidc/", Repository("c", "https://corp.example/", "x")),
    ]
    for audience, base, repository in astray:
        with pytest.raises(CredentialError, match="nothing was sent"):
            check_audience(audience, base, repository)


def test_gitlab_token_for_another_audience_is_refused_before_the_mint(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex
) -> None:
    with oidc_standin.running(audience="corp-index") as standin:
        root = project(tmp_path, token_index, standin.url)
        env = {"GITLAB_CI": "true", "CORP_INDEX_ID_TOKEN": oidc_standin.jwt("gitlab", "pypi")}
        line = one_line_error(shipyard("publish", "--to", "staging", cwd=root, env=env))
        assert standin.calls == ["GET /_/oidc/audience"]
    assert "no usable OIDC token from GitLab CI for audience 'corp-index'" in line
    assert "expected corp-index, got pypi" in line


def test_unknown_publisher_names_the_index_errors(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex
) -> None:
    with oidc_standin.running(publisher_known=False) as standin:
        root = project(tmp_path, token_index, standin.url)
        assert shipyard("build", cwd=root).code == 0  # the mint comes at the first upload
        line = one_line_error(
            shipyard("publish", "--to", "staging", "--no-attest", cwd=root, env=github_env(standin))
        )
        assert standin.problems == []
    assert "refused trusted publishing from GitHub Actions (HTTP 422)" in line
    assert "invalid-publisher: valid token, but no corresponding publisher" in line
    assert "(token ***)" in line  # the index quoted the JWT; the redactor masked it


def test_index_without_trusted_publishing(
    shipyard: ShipyardCLI, tmp_path: Path, token_index: TestIndex
) -> None:
    with oidc_standin.running(offers_oidc=False) as standin:
        root = project(tmp_path, token_index, standin.url)
        line = one_line_error(shipyard("publish", "--to", "staging", cwd=root, env=github_env(standin)))
        assert standin.calls == ["GET /_/oidc/audience"]
    assert "offers no trusted publishing" in line and "answered 404" in line
    assert "SHIPYARD_STAGING_TOKEN" in line


def test_provider_knows_every_ci_id_reads() -> None:
    assert provider({"GITHUB_ACTIONS": "true"}) == "GitHub Actions"
    assert provider({"GITHUB_ACTIONS": "false"}) is None
    assert provider({"GITLAB_CI": "true"}) == "GitLab CI"
    assert provider({"BUILDKITE": "true"}) == "Buildkite"
    assert provider({"CIRCLECI": "true"}) == "CircleCI"
    assert provider({"GOOGLE_SERVICE_ACCOUNT_NAME": "sa@p.iam.gserviceaccount.com"}) == "Google Cloud"
    assert provider({}) is None  # this machine's product name (if any) is not Google's
    assert gitlab_token_var("pypi") == "PYPI_ID_TOKEN"
    assert gitlab_token_var("testpypi") == "TESTPYPI_ID_TOKEN"
    assert gitlab_token_var("standin-pypi") == "STANDIN_PYPI_ID_TOKEN"
