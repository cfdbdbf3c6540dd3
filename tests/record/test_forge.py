"""The forge's release (issue 15, point 3): after every stage verified, real `shipyard release` runs
against a real pypiserver make the GitHub or GitLab release of the tag, through a stand-in of each
API on 127.0.0.1 that checks the requests as the APIs document them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shipyard import events
from shipyard.record import forge
from tests.helpers import forge_standin
from tests.helpers.forge_standin import GITHUB_TOKEN, GITLAB_JOB_TOKEN, GITLAB_TOKEN
from tests.helpers.indexes import TestIndex
from tests.helpers.netproxies import logging_proxy
from tests.helpers.packrepo import example_repo, run_json
from tests.helpers.projects import ShipyardCLI, git, make_project, set_version, tag
from tests.helpers.releases import staging_project

FAST = ("--no-test-install", "--no-verify-install")
TOKENS = (GITHUB_TOKEN, GITLAB_JOB_TOKEN, GITLAB_TOKEN)


def _no_token_in(*texts: str) -> None:
    for text in texts:
        for token in TOKENS:
            assert token not in text


@pytest.mark.integration
def test_github_release_of_the_tag_with_the_notes_once_every_stage_verified_and_left_alone_after(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    root, creds = staging_project(tmp_path, fresh_pypiserver)
    tag(root, "v1.0.0")  # pushed by the user: the CI runs on it
    with forge_standin.running("github") as hub:
        env = {**creds, **forge_standin.github_env(hub)}
        run = shipyard("release", "--json", "--tag", "v1.0.0", *FAST, "-C", str(root), env=env)
        assert run.code == 0, run.text
        assert hub.problems == []
        assert hub.paths() == [
            "GET /repos/owner/proj/releases/tags/v1.0.0",
            "POST /repos/owner/proj/releases",
        ]
        made = hub.calls[1].body
        assert made is not None
        assert (made["tag_name"], made["name"], made["prerelease"]) == ("v1.0.0", "tiny-pkg 1.0.0", False)
        assert made["body"].endswith(f"Published: {fresh_pypiserver.simple_url}tiny-pkg/")
        doc = json.loads(run.out)
        assert doc["forge_releases"] == [
            {
                "forge": "GitHub",
                "tag": "v1.0.0",
                "action": "created",
                "url": "https://github.com/owner/proj/releases/tag/v1.0.0",
            }
        ]
        assert doc["warnings"] == []

        # a re-run (CI's retry) finds the release and leaves it as it is: people may have edited it
        again = shipyard("release", "--tag", "v1.0.0", *FAST, "-C", str(root), env=env)
        assert again.code == 0, again.text
        assert hub.paths()[2:] == ["GET /repos/owner/proj/releases/tags/v1.0.0"]
        assert "GitHub already has a release of v1.0.0" in again.out and "left alone" in again.out
    _no_token_in(run.text, again.text)


@pytest.mark.integration
def test_gitlab_release_with_the_job_token_or_a_private_token(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    root, creds = staging_project(tmp_path, fresh_pypiserver, version="1.1.0rc1")
    tag(root, "v1.1.0rc1")
    with forge_standin.running("gitlab") as lab:
        env = {**creds, **forge_standin.gitlab_env(lab)}
        run = shipyard("release", "--json", "--tag", "v1.1.0rc1", *FAST, "-C", str(root), env=env)
        assert run.code == 0, run.text
        assert lab.problems == []
        assert lab.paths() == ["GET /projects/42/releases/v1.1.0rc1", "POST /projects/42/releases"]
        assert lab.calls[1].headers["job-token"] == GITLAB_JOB_TOKEN
        body = lab.calls[1].body
        assert body is not None and (body["tag_name"], body["name"]) == ("v1.1.0rc1", "tiny-pkg 1.1.0rc1")
        [made] = json.loads(run.out)["forge_releases"]
        assert made["action"] == "created" and made["url"].endswith("/-/releases/v1.1.0rc1")
    _no_token_in(run.text)

    # a token of the user's (GITLAB_TOKEN) goes as PRIVATE-TOKEN, and the job token not at all;
    # a token pasted into a commit subject, and so into the notes, is not published with them
    with forge_standin.running("gitlab") as lab:
        found = forge.make_releases(
            [forge.Tagged("v2.0.0", "tiny-pkg", "2.0.0", f"- fix: drop {GITLAB_TOKEN} from the docs")],
            forge_standin.gitlab_env(lab, private=True),
            events.ignore,
            on_remote=True,
        )
        assert lab.problems == [] and [f.action for f in found] == ["created"]
        assert (
            lab.calls[1].headers["private-token"] == GITLAB_TOKEN and "job-token" not in lab.calls[1].headers
        )
        assert lab.releases["v2.0.0"]["description"] == "- fix: drop *** from the docs"


@pytest.mark.integration
def test_a_refusing_forge_is_a_warning_the_release_stands_and_no_token_is_shown(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    root, creds = staging_project(tmp_path, fresh_pypiserver)
    tag(root, "v1.0.0")
    with forge_standin.running("github") as hub:
        hub.refuse = 403  # the job lacks contents: write; the answer echoes the credential it got
        env = {**creds, **forge_standin.github_env(hub)}
        run = shipyard("release", "--json", "--tag", "v1.0.0", *FAST, "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert hub.calls and hub.calls[0].headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    doc = json.loads(run.out)
    assert [s["verified"] for s in doc["stages"]] == [True]
    [warning] = doc["warnings"]
    assert warning.startswith(
        "no GitHub release of v1.0.0: GitHub refused to read the release of v1.0.0 (HTTP 403"
    )
    assert warning.endswith("the release itself is published and recorded")
    assert "Bearer ***" in warning
    assert doc["forge_releases"] == [{"forge": "GitHub", "tag": "v1.0.0", "action": "failed", "url": None}]
    _no_token_in(run.text)


def test_the_token_goes_only_to_https_or_this_machine_and_never_through_a_redirect(tmp_path: Path) -> None:
    said: list[events.Event] = []
    tagged = [forge.Tagged("v1.0.0", "tiny-pkg", "1.0.0", "notes")]
    with forge_standin.running("github") as hub, forge_standin.running("github") as elsewhere:
        env = {**forge_standin.github_env(hub), "GITHUB_API_URL": "http://github.example"}
        [failed] = forge.make_releases(tagged, env, said.append, on_remote=True)
        assert failed.action == "failed" and hub.calls == []
        assert (
            "GITHUB_API_URL is 'http://github.example': the token goes only to an https URL"
            in said[-1].message
        )

        hub.redirect_to = elsewhere.url
        [failed] = forge.make_releases(tagged, forge_standin.github_env(hub), said.append, on_remote=True)
        assert failed.action == "failed" and len(hub.calls) == 1 and elsewhere.calls == []
        assert "redirects" in said[-1].message and "the token is not sent on" in said[-1].message

        # a tag made by this run but not pushed is not on the forge: nothing is asked of it
        hub.redirect_to = None
        assert forge.make_releases(tagged, forge_standin.github_env(hub), said.append, on_remote=False) == []
        assert len(hub.calls) == 1 and said[-1].kind == "info" and "not pushed" in said[-1].message

        # outside the forge's CI nothing happens, whatever tokens the environment holds
        env = {k: v for k, v in forge_standin.github_env(hub).items() if k != "GITHUB_ACTIONS"}
        assert forge.make_releases(tagged, env, said.append, on_remote=True) == []
        assert len(hub.calls) == 1


@pytest.mark.integration
def test_forge_release_false_opts_out_and_a_tag_made_unpushed_asks_nothing(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    root, creds = staging_project(tmp_path, fresh_pypiserver)
    with forge_standin.running("github") as hub:
        env = {**creds, **forge_standin.github_env(hub)}
        # the tag is made by this run and not pushed: GitHub would make it on its default branch
        run = shipyard("release", "--tag", "v1.0.0", *FAST, "-C", str(root), env=env)
        assert run.code == 0, run.text
        assert "no GitHub release: v1.0.0 not pushed" in run.out
        set_version(root, "1.0.0", "1.0.1")
        tag(root, "v1.0.1")
        off = shipyard("release", "--tag", "v1.0.1", "--no-forge-release", *FAST, "-C", str(root), env=env)
        assert off.code == 0, off.text
    assert hub.calls == []


def test_a_packaging_repository_gets_one_forge_release_per_package_tag_once_pushed(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = example_repo(tmp_path)
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", git(root, "branch", "--show-current").strip())
    with forge_standin.running("gitlab") as lab:
        doc = run_json(
            shipyard, "release", "--changed", "--push", "-C", str(root), env=forge_standin.gitlab_env(lab)
        )
        assert lab.problems == []
    tags = [f"{name}-v0.1.0" for name in ("greetings", "recipes", "menu")]
    assert [(f["tag"], f["action"]) for f in doc["forge_releases"]] == [(t, "created") for t in tags]
    assert sorted(lab.releases) == sorted(tags)
    assert sorted(doc["urls"]) == ["greetings", "menu", "recipes"]
    for name, tag_name in zip(("greetings", "recipes", "menu"), tags, strict=True):
        made = lab.releases[tag_name]
        assert made["name"] == f"{name} 0.1.0"
        assert git(remote, "rev-parse", f"{tag_name}^{{commit}}")  # on the remote before the forge is asked
        assert made["description"].splitlines()[-1] == f"Published: {doc['urls'][name]}"
        assert doc["urls"][name].startswith("file://") and doc["urls"][name].endswith(f"/simple/{name}/")


def test_a_release_made_by_another_job_between_look_and_create_is_taken_as_there() -> None:
    tagged = [forge.Tagged("v1.0.0", "tiny-pkg", "1.0.0", "notes")]
    for kind, env in (("github", forge_standin.github_env), ("gitlab", forge_standin.gitlab_env)):
        with forge_standin.running(kind) as standin:
            standin.releases["v1.0.0"] = {"tag_name": "v1.0.0"}
            standin.race = True
            [found] = forge.make_releases(tagged, env(standin), events.ignore, on_remote=True)
            assert standin.problems == [] and [c.method for c in standin.calls] == ["GET", "POST"]
            assert found.action == "exists", kind


@pytest.mark.integration
def test_forge_release_alone_makes_the_release_of_a_tag_the_stages_verified(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    """The generated GitHub workflow's last job: the release of the tag with its notes, and nothing
    else (no index is read, no upload credential given); outside a forge's CI it makes none."""
    root, _ = staging_project(tmp_path, fresh_pypiserver)
    git(root, "commit", "-q", "--allow-empty", "-m", "feat: greet in French")
    tag(root, "v1.0.0")
    outside = shipyard("forge-release", "--tag", "v1.0.0", "-C", str(root))
    assert outside.code == 0, outside.text
    assert "no forge release of v1.0.0: not in GitHub Actions or GitLab CI" in outside.out
    with forge_standin.running("github") as hub:
        env = forge_standin.github_env(hub)
        off = shipyard("forge-release", "--tag", "v1.0.0", "--no-forge-release", "-C", str(root), env=env)
        assert off.code == 0 and "forge-release is off" in off.out, off.text
        assert hub.calls == []
        run = shipyard("forge-release", "--json", "--tag", "v1.0.0", "-C", str(root), env=env)
        assert run.code == 0, run.text
        assert hub.problems == []
        assert hub.paths() == [
            "GET /repos/owner/proj/releases/tags/v1.0.0",
            "POST /repos/owner/proj/releases",
        ]
        made = hub.calls[1].body
        assert made is not None and (made["tag_name"], made["name"]) == ("v1.0.0", "tiny-pkg 1.0.0")
        assert made["body"].endswith(f"Published: {fresh_pypiserver.simple_url}tiny-pkg/")
        assert json.loads(run.out)["forge_releases"][0]["action"] == "created"
    _no_token_in(outside.text, off.text, run.text)


@pytest.mark.integration
def test_the_forge_token_does_not_cross_a_proxy_in_clear_text(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    """Issue 21, point 14: a plain-http API (a stand-in on this machine: `localhost`, which NO_PROXY's
    `127.0.0.1` does not cover) behind HTTP_PROXY: the token is not sent, the release stands."""
    root, creds = staging_project(tmp_path, fresh_pypiserver)
    tag(root, "v1.0.0")
    with forge_standin.running("github") as hub, logging_proxy() as proxy:
        api = hub.url.replace("127.0.0.1", "localhost")
        env = {**creds, **forge_standin.github_env(hub), "GITHUB_API_URL": api}
        env |= {"HTTP_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"}  # the index is reached directly
        run = shipyard("release", "--json", "--tag", "v1.0.0", *FAST, "-C", str(root), env=env)
        assert run.code == 0, run.text
        assert (proxy.log, hub.calls) == ([], []), proxy.log
    [warning] = json.loads(run.out)["warnings"]
    assert warning.startswith(f"no GitHub release of v1.0.0: GITHUB_API_URL is '{api}': the token would pass")
    assert f"the proxy 127.0.0.1:{proxy.port} in clear text" in warning and "NO_PROXY" in warning
    assert len(fresh_pypiserver.served_files("tiny-pkg")) == 2


def test_a_forge_trickling_its_answer_is_cut_off_by_the_deadline_and_the_release_stands(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """A forge that sends one byte every half second never trips a read timeout: the calls for a
    tag end within retry-timeout (10 s at least), with one warning line, as an index read does."""
    root = make_project(tmp_path / "proj", with_tests=False)
    tag(root, "v1.0.0")
    with forge_standin.running("github") as hub:
        hub.trickle = True
        env = forge_standin.github_env(hub)
        run = shipyard(
            "forge-release", "--tag", "v1.0.0", "--retry-timeout", "1", "-C", str(root), env=env, timeout=90
        )
        assert hub.paths() == ["GET /repos/owner/proj/releases/tags/v1.0.0"]
    assert run.code == 0, run.text  # the packages are published: a forge's failure is a warning
    assert run.err.strip().splitlines() == [
        "warning: no GitHub release of v1.0.0: GitHub's answer to GET "
        f"{hub.url}/repos/owner/proj/releases/tags/v1.0.0 was cut off by its deadline (--retry-timeout "
        "1 s, at least 10 s): it sends too slowly or without end; the release itself is published and recorded"
    ]
    assert "GitHub release of v1.0.0: failed" in run.out
    _no_token_in(run.text)
