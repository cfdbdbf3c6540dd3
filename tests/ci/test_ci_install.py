"""What the generated pipelines install as shipyard (issue 15.4), the credential names users already
have set (15.11), one GitLab id token per audience (15.7) and Azure Artifacts feeds (15.8)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import context, install
from shipyard.ci.generate import providers as generate
from shipyard.errors import ConfigError
from tests.helpers.pipelines import FEED_TOOL, SINGLE_TOOL, make_feed, make_packrepo, make_single
from tests.helpers.projects import ShipyardCLI, make_project

WRITER = f"shipyard-release=={install.writer_version()}"
TOOLS = WRITER.replace("shipyard-release", "shipyard-release[uv]")  # shipyard runs uv: a CI image has none


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_single(tmp_path_factory)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_feed(tmp_path_factory)


def doc_of(root: Path, ci: str) -> Any:
    [made] = generate.pipelines(root, [ci], None)
    return yaml.safe_load(made.text)


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job.get("steps", [])
    return steps


# ------------------------------------------------------------------ 15.4: the pinned install


def test_a_release_is_pinned_and_a_dev_build_says_why_it_is_not() -> None:
    assert install.choose(None, "[tool.shipyard.ci]", "1.4.2") == install.Install(
        "shipyard-release==1.4.2",
        "the shipyard that wrote this file (set install in [tool.shipyard.ci] to change it)",
    )
    for dev in ("1.5.0.dev3", "1.4.2+g1234abc", "0.1.dev7+gdeadbee.d20261201", "not-a-version"):
        made = install.choose({}, "[tool.shipyard.ci]", dev)
        assert made.requirement == "shipyard-release"
        assert f"shipyard {dev} wrote this file, a build that is on no index" in made.note
        assert 'install = "..."' in made.note
    git_url = (
        "shipyard-release @ git+https://example.invalid/shipyard@0123456789abcdef0123456789abcdef01234567"
    )
    assert install.choose({"install": git_url}, "[tool.shipyard.ci]", "1.5.0.dev3").requirement == git_url


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"install": "shipyard-release; rm -rf ~"}, "must be one requirement"),
        ({"install": "shipyard-release==${{ secrets.PYPI }}"}, "must be one requirement"),
        ({"install": "x'y"}, "must be one requirement"),
        ({"install": "a\nb"}, "must be one requirement"),
        ({"install": ""}, "must be one requirement"),
        ({"install": 3}, "must be one requirement"),
        (
            {"instal": "shipyard-release"},
            "unknown key 'instal' in [tool.shipyard.ci], did you mean install? (known: install, lint)",
        ),
        ("shipyard-release", "[tool.shipyard.ci] must be a table"),
    ],
)
def test_a_bad_install_setting_is_refused(table: object, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        install.choose(table, "[tool.shipyard.ci]", "1.0.0")
    assert message in str(err.value)


@pytest.mark.parametrize("ci", ["github", "gitlab", "azure", "travis"])
def test_every_pipeline_installs_the_shipyard_that_wrote_it(ci: str, single: Path) -> None:
    [made] = generate.pipelines(single, [ci], None)
    assert TOOLS in made.text
    signing = WRITER.replace("shipyard-release", "shipyard-release[attest,uv]")
    assert made.text.count("shipyard-release") == made.text.count(TOOLS) + made.text.count(signing) + (
        # the credential-holding jobs install the handed-over files by name, from no index
        made.text.count("--no-index --find-links") if ci in ("github", "gitlab", "travis") else 0
    )


def test_the_setting_reaches_every_file_and_a_bad_one_writes_nothing(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    url = "shipyard-release @ git+https://example.invalid/shipyard@0123456789abcdef0123456789abcdef01234567"
    root = make_project(tmp_path / "p", tool=SINGLE_TOOL + f'\n[tool.shipyard.ci]\ninstall = "{url}"\n')
    done = shipyard("ci", "init", "--github", "--gitlab", "--azure", "--travis", "-C", str(root))
    assert done.code == 0, done.err
    for path in (".github/workflows/release.yml", ".gitlab-ci.yml", "azure-pipelines.yml", ".travis.yml"):
        text = (root / path).read_text()
        assert install.with_extra(url, "uv") in text and WRITER not in text and TOOLS not in text, path
    bad = make_project(tmp_path / "q", tool=SINGLE_TOOL + '\n[tool.shipyard.ci]\ninstall = "x $(id)"\n')
    refused = shipyard("ci", "init", "--github", "-C", str(bad))
    assert refused.code == 2
    [line] = refused.err.strip().splitlines()
    assert line.startswith("error: install in [tool.shipyard.ci] must be one requirement")
    assert not (bad / ".github").exists()


@pytest.mark.parametrize("ci", ["github", "gitlab", "azure", "travis"])
def test_the_lint_job_runs_the_projects_lint_command_when_one_is_set(
    ci: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp(f"lint-{ci}") / "tiny-pkg"
    # no ruff configuration: the lint command alone makes the lint job, and the release waits for it
    make_project(
        root, tool='[tool.shipyard]\nstages = ["pypi"]\n\n[tool.shipyard.ci]\nlint = "./run.sh lint"\n'
    )
    [made] = generate.pipelines(root, [ci], None)
    assert "ruff" not in made.text
    doc = yaml.safe_load(made.text)
    if ci == "github":
        assert {"run": "./run.sh lint"} in steps_of(doc["jobs"]["lint"])
        assert "lint" in doc["jobs"]["build"]["needs"]
    elif ci == "gitlab":
        assert doc["lint"]["script"] == ["./run.sh lint"]
    elif ci == "azure":
        [lint] = [j for s in doc["stages"] for j in s["jobs"] if j.get("job") == "Lint"]
        assert {"bash": "./run.sh lint", "displayName": "lint"} in lint["steps"]
    else:
        assert {
            "stage": "lint",
            "python": doc["jobs"]["include"][0]["python"],
            "script": "./run.sh lint",
        } in doc["jobs"]["include"]
    without = tmp_path_factory.mktemp(f"nolint-{ci}") / "tiny-pkg"
    make_project(without, tool='[tool.shipyard]\nstages = ["pypi"]\n')
    [plain] = generate.pipelines(without, [ci], None)
    assert "lint" not in yaml.safe_load(plain.text).get("jobs", {}) and "./run.sh lint" not in plain.text


@pytest.mark.parametrize(
    "command", ["ruff check . && curl x", "make lint; rm -rf ~", "echo $TOKEN", "a\nb", "", 3]
)
def test_a_lint_command_that_a_ci_would_expand_or_chain_is_refused(command: object) -> None:
    with pytest.raises(ConfigError) as err:
        install.lint_command({"lint": command}, "[tool.shipyard.ci]")
    assert "lint in [tool.shipyard.ci] must be one command of plain words" in str(err.value)
    assert install.lint_command({"lint": " tox -e lint "}, "[tool.shipyard.ci]") == "tox -e lint"
    assert install.lint_command({}, "[tool.shipyard.ci]") == ""


def test_packaging_repository_reads_ci_install_from_shipyard_toml(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = make_packrepo(tmp_path_factory)
    toml = root / "shipyard.toml"
    toml.write_text(toml.read_text() + '\n[ci]\ninstall = "shipyard-release==9.9.9"\n')
    [made] = generate.pipelines(root, ["github"], None)
    assert '"shipyard-release[uv]==9.9.9"' in made.text
    assert "install in [ci] of shipyard.toml" in made.text


@pytest.mark.parametrize("kind", ["single", "packrepo"])
def test_github_jobs_with_credentials_install_only_the_files_handed_over(
    kind: str, single: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = single if kind == "single" else make_packrepo(tmp_path_factory)
    jobs = doc_of(root, "github")["jobs"]
    fetcher = "build" if kind == "single" else "plan"
    fetched = [s.get("run", "") for s in steps_of(jobs[fetcher])]
    # with the extra that signs PEP 740 attestations (issue 22, point 5)
    assert any(r.startswith("python -m pip wheel") and "$SHIPYARD_SIGNING_REQUIREMENT" in r for r in fetched)
    [upload] = [s for s in steps_of(jobs[fetcher]) if s.get("with", {}).get("name") == "shipyard-tools"]
    assert upload["uses"].startswith("actions/upload-artifact@")
    holders = [n for n, j in jobs.items() if j.get("permissions", {}).get("id-token") == "write"]
    holders = [n for n in holders if n != "pages"]  # deploy-pages runs no pip at all
    assert len(holders) >= 2
    for name in holders:
        runs = [s.get("run", "") for s in steps_of(jobs[name])]
        assert not any("REQUIREMENT" in r for r in runs), f"{name} installs from an index"
        installs = [r for r in runs if "pip install" in r]
        assert installs == [
            'python -m pip install --no-index --find-links "$RUNNER_TEMP/shipyard-tools" "shipyard-release[attest,uv]"'
        ], name
        assert fetcher in jobs[name]["needs"] or any(
            fetcher in jobs[n].get("needs", []) for n in jobs[name]["needs"]
        )


# ------------------------------------------------------------------ 15.11: the seeds' names


def test_github_maps_the_seed_names_per_stage(single: Path) -> None:
    jobs = doc_of(single, "github")["jobs"]
    [publish] = [s for s in steps_of(jobs["publish-pypi"]) if s.get("run") == "shipyard publish --to pypi"]
    assert publish["env"] == {
        "SHIPYARD_PYPI_TOKEN": "${{ secrets.SHIPYARD_PYPI_TOKEN || secrets.PROD_PYPI_TOKEN }}",
        "SHIPYARD_PYPI_USERNAME": "${{ secrets.SHIPYARD_PYPI_USERNAME || secrets.PYPI_USERNAME || secrets.PYPI_USER }}",
        "SHIPYARD_PYPI_PASSWORD": "${{ secrets.SHIPYARD_PYPI_PASSWORD || secrets.PYPI_PASSWORD }}",
    }
    [test] = [
        s for s in steps_of(jobs["publish-testpypi"]) if s.get("run") == "shipyard publish --to testpypi"
    ]
    assert test["env"] == {
        "SHIPYARD_TESTPYPI_TOKEN": "${{ secrets.SHIPYARD_TESTPYPI_TOKEN || secrets.TEST_PYPI_TOKEN }}"
    }


def _bash(script: str, **env: str) -> dict[str, str]:
    """Run `script` in bash -eu with only `env` set; the SHIPYARD_* credentials it leaves exported."""
    shown = '\nfor v in SHIPYARD_PYPI_TOKEN SHIPYARD_PYPI_USERNAME SHIPYARD_PYPI_PASSWORD SHIPYARD_TESTPYPI_TOKEN; do printf \'%s=%s\\n\' "$v" "${!v-<unset>}"; done\n'
    run = subprocess.run(
        ["bash", "-eu", "-c", script + shown],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split("=", 1) for line in run.stdout.splitlines())


@pytest.mark.parametrize("ci", ["gitlab", "travis"])
def test_gitlab_and_travis_copy_the_seed_names_in_the_shell(ci: str, single: Path) -> None:
    doc = doc_of(single, ci)
    job = (
        doc["release"]
        if ci == "gitlab"
        else next(j for j in doc["jobs"]["include"] if j["stage"] == "release")
    )
    script = "\n".join(line for line in job["before_script"] if line.startswith("export "))
    seeds = _bash(
        script, PROD_PYPI_TOKEN="pypi-prod", PYPI_USER="me", PYPI_PASSWORD="pw", TEST_PYPI_TOKEN="t"
    )
    assert seeds == {
        "SHIPYARD_PYPI_TOKEN": "pypi-prod",
        "SHIPYARD_PYPI_USERNAME": "me",
        "SHIPYARD_PYPI_PASSWORD": "pw",
        "SHIPYARD_TESTPYPI_TOKEN": "t",
    }
    own = _bash(script, SHIPYARD_PYPI_TOKEN="mine", PROD_PYPI_TOKEN="seed", PYPI_USERNAME="u", PYPI_USER="v")
    assert own["SHIPYARD_PYPI_TOKEN"] == "mine"  # shipyard's own name wins
    assert own["SHIPYARD_PYPI_USERNAME"] == "u"  # PYPI_USERNAME before PYPI_USER
    assert _bash(script)["SHIPYARD_PYPI_TOKEN"] == ""  # none set: empty, so trusted publishing is tried


def test_azure_ignores_the_macro_it_leaves_for_an_unset_variable(single: Path) -> None:
    doc = doc_of(single, "azure")
    [step] = [s for s in doc["stages"][1]["jobs"][0]["steps"] if s.get("displayName") == "release"]
    env = step["env"]
    assert env["PROD_PYPI_TOKEN"] == "$(PROD_PYPI_TOKEN)" and env["PYPI_USER"] == "$(PYPI_USER)"
    head = step["bash"].split("\nif [[")[0]  # the credential lines, before the release itself
    # Azure passes "$(NAME)" as the value of a variable nobody set: as the runner would, here
    unset = {name: f"$({name})" for name in env if name.startswith(("SHIPYARD_", "PYPI_", "PROD_", "TEST_"))}
    picked = _bash(head, **{**unset, "PROD_PYPI_TOKEN": "pypi-prod", "PYPI_USERNAME": "me"})
    assert picked["SHIPYARD_PYPI_TOKEN"] == "pypi-prod"
    assert picked["SHIPYARD_PYPI_USERNAME"] == "me"
    assert picked["SHIPYARD_PYPI_PASSWORD"] == "" and picked["SHIPYARD_TESTPYPI_TOKEN"] == ""


def test_run_sh_install_installs_what_lint_runs(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", tool=SINGLE_TOOL)
    assert shipyard("ci", "init", "--task-runner", "-C", str(root)).code == 0
    text = (root / "run.sh").read_text()
    body = text.split("install() {")[1].split("\n}")[0]
    assert f"python -m pip install '{TOOLS}' ruff" in body
    assert "python -m ruff check" in text.split("lint() {")[1].split("\n}")[0]


# ------------------------------------------------------------------ 15.7: GitLab id tokens


def test_gitlab_has_one_id_token_per_audience_the_stages_need(single: Path, feed: Path) -> None:
    assert doc_of(single, "gitlab")["release"]["id_tokens"] == {
        "TESTPYPI_ID_TOKEN": {"aud": "testpypi"},
        "PYPI_ID_TOKEN": {"aud": "pypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},
    }
    assert doc_of(feed, "gitlab")["release"]["id_tokens"] == {
        "PYPI_ID_TOKEN": {"aud": "pypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},
    }


# ------------------------------------------------------------------ 15.8: Azure Artifacts feeds


@pytest.mark.parametrize(
    ("url", "feed_id"),
    [
        ("https://pkgs.dev.azure.com/contoso/tools/_packaging/teamfeed/pypi/upload/", "tools/teamfeed"),
        ("https://pkgs.dev.azure.com/contoso/_packaging/orgfeed/pypi/upload/", "orgfeed"),
        ("https://contoso.pkgs.visualstudio.com/tools/_packaging/teamfeed/pypi/upload/", "tools/teamfeed"),
        ("https://contoso.pkgs.visualstudio.com/_packaging/orgfeed/pypi/upload/", "orgfeed"),
    ],
)
def test_the_feed_is_read_from_its_upload_url(url: str, feed_id: str) -> None:
    assert context.feed_id("teamfeed", url) == feed_id


def test_a_feed_url_without_a_feed_is_refused(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    tool = FEED_TOOL.replace("tools/_packaging/teamfeed/pypi/upload/", "tools/pypi/upload/")
    root = make_project(tmp_path / "p", tool=tool)
    done = shipyard("ci", "init", "--azure", "-C", str(root))
    assert done.code == 2
    assert done.err.strip() == (
        "error: the upload-url of 'teamfeed' is on Azure Artifacts but names no feed: "
        "use https://pkgs.dev.azure.com/ORG/PROJECT/_packaging/FEED/pypi/upload/"
    )


def test_azure_signs_in_to_project_feed_and_other_cis_get_its_variable(feed: Path) -> None:
    doc = doc_of(feed, "azure")
    steps = doc["stages"][1]["jobs"][0]["steps"]
    assert {"task": "TwineAuthenticate@1", "inputs": {"artifactFeed": "tools/teamfeed"}} in steps
    [release] = [s for s in steps if s.get("displayName") == "release"]
    assert "SHIPYARD_TEAMFEED_TOKEN" not in release["env"]  # TwineAuthenticate signs in
    assert release["env"]["SHIPYARD_PYPIRC"] == "$(PYPIRC_PATH)"
    jobs = doc_of(feed, "github")["jobs"]
    [publish] = [
        s for s in steps_of(jobs["publish-teamfeed"]) if s.get("run") == "shipyard publish --to teamfeed"
    ]
    assert publish["env"] == {"SHIPYARD_TEAMFEED_TOKEN": "${{ secrets.SHIPYARD_TEAMFEED_TOKEN }}"}
    gitlab = generate.pipelines(feed, ["gitlab"], None)[0].text
    assert "SHIPYARD_TEAMFEED_TOKEN" in gitlab.split("stages:")[0]  # named among the credentials
    travis = generate.pipelines(feed, ["travis"], None)[0].text
    assert "SHIPYARD_TEAMFEED_TOKEN" in travis.split("language:")[0]


def test_packaging_repository_on_azure_is_manual_with_the_feed_its_own_parameter(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    doc = doc_of(make_packrepo(tmp_path_factory), "azure")
    assert doc["trigger"] == "none" and doc["pr"] == "none"
    params = {p["name"]: p for p in doc["parameters"]}
    assert params["feed"]["values"] == ["feed", "none"] and params["feed"]["default"] == "feed"
    assert params["stages"]["values"] == ["pypi", "none"]
    [step] = [s for s in doc["stages"][1]["jobs"][0]["steps"] if s.get("displayName") == "release"]
    picking = step["bash"].split('if [ "$PACKAGE"')[0]
    picking += '\nprintf "%s\\n" "$STAGES"'
    for feed_value, stages, want in (
        ("feed", "pypi", "feed,pypi"),
        ("none", "pypi", "pypi"),
        ("feed", "none", "feed"),
    ):
        run = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", picking],
            env={"PATH": os.environ["PATH"], "FEED": feed_value, "STAGES": stages},
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0 and run.stdout.splitlines()[-1] == want, run.stderr
    none = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", picking],
        env={"PATH": os.environ["PATH"], "FEED": "none", "STAGES": "none"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert none.returncode == 2 and "error: pick a feed or stages to release to" in none.stderr
