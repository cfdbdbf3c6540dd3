"""Trusted-publishing tokens live as long as their stage (issue 22, point 4): minted just before the
stage's first upload (after the build and the test-install), minted once more when the index
refuses one that ran out, burnt after the stage (PyPI's burn-token, warehouse#20197).

The CI and the index's OIDC API are the stand-in (tests/helpers/oidc_standin.py, which keeps every
request in order); the uploads go to real pypiservers that take `__token__` with the minted token
only. The project's own test asks the stand-in for `/marker` when the test-install runs it, so the
order of requests shows what was minted before and after the project's tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import oidc_standin
from tests.helpers.indexes import TestIndex, start_pypiserver
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import Run, ShipyardCLI, git, make_project

pytestmark = pytest.mark.integration

AUDIENCE = oidc_standin.AUDIENCE
ISSUED = f"GET /ci/token?audience={AUDIENCE}"
AUD, MINT, BURN = "GET /_/oidc/audience", "POST /_/oidc/mint-token", "POST /_/oidc/burn-token"
SECRETS = (oidc_standin.REQUEST_TOKEN, oidc_standin.MINTED, oidc_standin.EXPIRED, oidc_standin.WRONG)


@pytest.fixture
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestIndex, TestIndex]]:
    """Two pypiservers (staging, production) that take uploads from `__token__` with MINTED only."""
    users = {"__token__": oidc_standin.MINTED}
    with (
        start_pypiserver(tmp_path_factory.mktemp("staging"), users) as staging,
        start_pypiserver(tmp_path_factory.mktemp("production"), users) as production,
    ):
        yield staging, production


def project(tmp_path: Path, oidc_url: str, *stages: TestIndex, marker: bool = False) -> Path:
    names = ["staging", "production"][: len(stages)]
    tool = "[tool.shipyard]\nstages = [" + ", ".join(f'"{n}"' for n in names) + "]\n"
    for name, index in zip(names, stages, strict=True):
        tool += (
            f'\n[tool.shipyard.repositories.{name}]\nupload-url = "{index.upload_url}"\n'
            f'simple-url = "{index.simple_url}"\noidc-url = "{oidc_url}"\n'
        )
    root = make_project(tmp_path / "proj", "tp-pkg", "1.0.0", tool=tool)
    if marker:  # the project's test says when it runs: the stand-in records it among its requests
        (root / "tests" / "test_marker.py").write_text(
            "import urllib.request\n\n\ndef test_marker():\n"
            "    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
            f'    opener.open("{oidc_url}marker", timeout=5).read()\n'
        )
        git(root, "add", "-A")
        git(root, "commit", "-qm", "marker")
    return root


def github_env(standin: oidc_standin.StandIn) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": standin.token_request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc_standin.REQUEST_TOKEN,
    }


def assert_no_secret(run: Run, standin: oidc_standin.StandIn) -> None:
    for secret in (*SECRETS, oidc_standin.GITLAB_JWT, *(token for token, _ in standin.issued)):
        for piece in (secret, secret[-16:]):
            assert piece not in run.text, f"a secret reached the output: ...{secret[-6:]}"


def test_each_stage_mints_after_the_tests_just_before_its_upload_and_burns_after_it(
    shipyard: ShipyardCLI, tmp_path: Path, indexes: tuple[TestIndex, TestIndex]
) -> None:
    with oidc_standin.running() as standin:
        root = project(tmp_path, standin.url, *indexes, marker=True)
        run = shipyard("release", "--no-verify-install", "--no-attest", cwd=root, env=github_env(standin))
        assert run.code == 0, run.text
        assert standin.problems == []
        assert standin.calls == [
            AUD, ISSUED, AUD, ISSUED,  # before the build: each stage's credential can be had
            "GET /marker",  # the test-install ran the project's tests
            ISSUED, MINT, BURN,  # staging: a fresh id token, the mint, its uploads, the burn
            ISSUED, MINT, BURN,  # production: the same, after staging verified
        ]  # fmt: skip
        assert standin.minted == standin.burnt == [oidc_standin.MINTED] * 2
    for index in indexes:
        assert sorted(index.served_files("tp-pkg")) == [
            "tp_pkg-1.0.0-py3-none-any.whl",
            "tp_pkg-1.0.0.tar.gz",
        ]
    assert run.out.count("trusted publishing for staging: an OIDC id token from GitHub Actions") == 1
    assert "the upload token minted for production is burnt" in run.out, run.out
    assert_no_secret(run, standin)


def test_a_dry_run_mints_nothing(
    shipyard: ShipyardCLI, tmp_path: Path, indexes: tuple[TestIndex, TestIndex]
) -> None:
    with oidc_standin.running() as standin:
        root = project(tmp_path, standin.url, indexes[0])
        run = shipyard("release", "--dry-run", "--no-test-install", cwd=root, env=github_env(standin))
        assert run.code == 0, run.text
        assert standin.calls == [AUD, ISSUED] and standin.minted == []


def publish(shipyard: ShipyardCLI, root: Path, standin: oidc_standin.StandIn) -> Run:
    assert shipyard("build", cwd=root).code == 0
    return shipyard("publish", "--to", "staging", "--no-attest", cwd=root, env=github_env(standin))


def test_a_token_refused_after_it_ran_out_is_minted_again_once(
    shipyard: ShipyardCLI, tmp_path: Path, indexes: tuple[TestIndex, TestIndex]
) -> None:
    """The first token's `expires` is past and the index refuses it (403): one more mint, from a
    fresh id token, and the upload is sent again; the burn names the token in use."""
    with oidc_standin.running(expired_first=1) as standin:
        root = project(tmp_path, standin.url, indexes[0])
        run = publish(shipyard, root, standin)
        assert run.code == 0, run.text
        assert standin.problems == []
        assert standin.calls == [AUD, ISSUED, ISSUED, MINT, ISSUED, MINT, BURN]
        assert standin.minted == [oidc_standin.EXPIRED, oidc_standin.MINTED]
        assert standin.burnt == [oidc_standin.MINTED]
    assert "the upload token of staging ran out: minting another" in run.out, run.out
    assert len(indexes[0].served_files("tp-pkg")) == 2
    assert_no_secret(run, standin)


def test_a_fresh_token_refused_is_not_minted_again_and_is_burnt(
    shipyard: ShipyardCLI, tmp_path: Path, indexes: tuple[TestIndex, TestIndex]
) -> None:
    """A 403 for a token whose `expires` is ahead is a refusal, not an expiry: no second mint."""
    with oidc_standin.running(wrong_token=True) as standin:
        root = project(tmp_path, standin.url, indexes[0])
        run = publish(shipyard, root, standin)
        assert run.code == 1, run.text
        assert standin.problems == []
        assert standin.minted == standin.burnt == [oidc_standin.WRONG]
    assert "staging rejected the credential for user __token__ from trusted publishing" in run.err
    assert not indexes[0].served_files("tp-pkg")
    assert_no_secret(run, standin)


@pytest.mark.parametrize("answer", [404, 500])
def test_a_burn_the_index_cannot_do_never_fails_the_publish(
    shipyard: ShipyardCLI, tmp_path: Path, indexes: tuple[TestIndex, TestIndex], answer: int
) -> None:
    """404 (an index without burn-token) is silent; another failure is one warning."""
    with oidc_standin.running(burns=answer) as standin:
        root = project(tmp_path, standin.url, indexes[0])
        run = publish(shipyard, root, standin)
        assert run.code == 0, run.text
        assert standin.calls[-1] == BURN and standin.problems == []
    said = [line for line in run.err.splitlines() if "burn" in line]
    if answer == 404:
        assert said == [] and "burnt" not in run.out
    else:
        assert said == [
            f"warning: the upload token of staging was not burnt: {standin.url}_/oidc/burn-token "
            "answered HTTP 500; it runs out by itself"
        ]
    assert len(indexes[0].served_files("tp-pkg")) == 2
    assert_no_secret(run, standin)


@pytest.mark.parametrize(("ci", "jobs"), [("github", "1"), ("github", "2"), ("gitlab", "2")])
def test_a_packaging_repositorys_packages_and_the_id_token_the_index_takes_once(
    shipyard: ShipyardCLI, tmp_path: Path, indexes: tuple[TestIndex, TestIndex], ci: str, jobs: str
) -> None:
    """Three packages to one stage. GitHub, one package at a time: each package's stage mints from a
    new id token and burns after itself; packages at once (greetings and recipes, then menu, which
    imports recipes): a level's packages share one token, burnt when the level is done. GitLab: one
    id token a job, which the index (like PyPI) takes once: one mint for the three, burnt when the
    run is done."""
    staging = indexes[0]
    with oidc_standin.running() as standin:
        root = example_repo(tmp_path, '"staging"', staging=staging)
        config = root / "shipyard.toml"
        simple = f'simple-url = "{staging.simple_url}"'
        config.write_text(config.read_text().replace(simple, f'{simple}\noidc-url = "{standin.url}"'))
        git(root, "commit", "-qam", "trusted publishing")
        env = (
            github_env(standin)
            if ci == "github"
            else {"GITLAB_CI": "true", "STANDIN_PYPI_ID_TOKEN": oidc_standin.GITLAB_JWT}
        )
        run = shipyard(
            "release",
            "--no-test-install",
            "--no-verify-install",
            "--no-attest",
            "--jobs",
            jobs,
            cwd=root,
            env=env,
        )
        assert run.code == 0, run.text
        assert standin.problems == []
        if ci == "github" and jobs == "1":
            assert standin.calls == [AUD, ISSUED, *[ISSUED, MINT, BURN] * 3]
            assert standin.burnt == [oidc_standin.MINTED] * 3
        elif ci == "github":  # never burnt while another package of the level uploads with it
            assert standin.calls == [AUD, ISSUED, *[ISSUED, MINT, BURN] * 2]
            assert standin.burnt == [oidc_standin.MINTED] * 2
        else:
            assert standin.calls == [AUD, MINT, BURN] and standin.burnt == [oidc_standin.MINTED]
    assert len(staging.served_files("greetings")) == 2 and len(staging.served_files("menu")) == 2
    assert_no_secret(run, standin)
