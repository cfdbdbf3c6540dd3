"""Every generated pipeline keeps the credentials away from the project's code (issue 21, point 4)
and signs where it publishes with an id token (issue 22, point 5): the rules in tests/helpers/trust.py
read on every variant (each CI x single package / packaging repository x trigger, feeds, compiled,
ruff or not, PyPI or a custom index only)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import context
from shipyard.ci.generate import providers as generate
from tests.helpers import trust
from tests.helpers.pipelines import cases, make_compiled, make_feed, make_packrepo, make_single
from tests.helpers.projects import git, make_project

CUSTOM_TOOL = """[tool.shipyard]
stages = ["team"]

[tool.shipyard.repositories.team]
upload-url = "https://pypi.example.invalid/legacy/"
simple-url = "https://pypi.example.invalid/simple/"
"""


def make_pypi_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packaging repository releasing to testpypi then pypi (no feed: Azure runs it on merges)."""
    root = make_packrepo(tmp_path_factory)
    (root / "shipyard.toml").write_text('stages = ["testpypi", "pypi"]\ntag = "{package}-v{version}"\n')
    git(root, "commit", "-qam", "to PyPI")
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    custom = make_project(tmp_path_factory.mktemp("custom") / "team-pkg", "team-pkg", tool=CUSTOM_TOOL)
    return {
        "single": make_single(tmp_path_factory),
        "packrepo": make_packrepo(tmp_path_factory),
        "feed": make_feed(tmp_path_factory),
        "compiled": make_compiled(tmp_path_factory),
        "pypirepo": make_pypi_repo(tmp_path_factory),
        "custom": custom,
    }


def variants() -> Iterator[Any]:
    yield from cases()
    for ci in ("github", "gitlab", "azure", "travis"):
        for trigger in (None, ["branch", "release"]):
            yield pytest.param(
                ci, "pypirepo", trigger, id=f"{ci}-pypirepo-{'-'.join(trigger or ['default'])}"
            )
        yield pytest.param(ci, "custom", None, id=f"{ci}-custom-default")


def credential_names(root: Path, trigger: list[str] | None) -> list[str]:
    """Every variable the file may read a credential from, and the push token of a packaging repo."""
    ctx = context.read(root, trigger)
    names = [n for s in ctx.stages for _, found in ctx.credential_env(s) for n in found]
    return [*dict.fromkeys(names), *(["SHIPYARD_PUSH_TOKEN"] if ctx.packaging_repo else [])]


def generated(root: Path, ci: str, trigger: list[str] | None) -> dict[str, Any]:
    [made] = generate.pipelines(root, [ci], trigger)
    doc: dict[str, Any] = yaml.safe_load(made.text)
    return doc


@pytest.mark.parametrize(("ci", "kind", "trigger"), list(variants()))
def test_no_credential_where_project_code_runs(
    ci: str, kind: str, trigger: list[str] | None, roots: dict[str, Path]
) -> None:
    root = roots[kind]
    doc = generated(root, ci, trigger)
    assert trust.violations(ci, doc, credential_names(root, trigger)) == []
    assert trust.signing_gaps(ci, doc) == []


def test_the_rules_find_what_they_look_for() -> None:
    """Each rule fires on the shapes issue 21 and 22 found (so an empty answer above means something)."""
    names = ["SHIPYARD_PYPI_TOKEN", "SHIPYARD_PUSH_TOKEN"]
    gitlab = {
        "test": {"script": ["shipyard test-install"]},
        "release": {
            "id_tokens": {"PYPI_ID_TOKEN": {"aud": "pypi"}},
            "before_script": ['git remote set-url --push origin "https://x:${SHIPYARD_PUSH_TOKEN}@h/p.git"'],
            "script": ['shipyard release --tag "$CI_COMMIT_TAG"'],
        },
    }
    found = trust.violations("gitlab", gitlab, names)
    assert any("set-url" in f for f in found)
    assert any(f.startswith("release runs project code with") for f in found)
    assert any(f.startswith("test runs project code where settings variables") for f in found)
    azure = {
        "stages": [
            {
                "stage": "Release",
                "jobs": [
                    {
                        "job": "Release",
                        "steps": [
                            {"checkout": "self", "persistCredentials": "true"},
                            {"bash": "shipyard release --dists d", "env": {"T": "$(SHIPYARD_PYPI_TOKEN)"}},
                        ],
                    }
                ],
            }
        ]
    }
    found = trust.violations("azure", azure, names)
    assert len(found) == 2 and "persistCredentials" in found[1]
    github = {
        "jobs": {
            "publish": {
                "permissions": {"id-token": "write"},
                "steps": [
                    {"run": "python -m pip install shipyard-release"},
                    {"run": "shipyard publish --to pypi"},
                ],
            }
        }
    }
    assert trust.signing_gaps("github", github) == [
        "publish holds an id-token and publishes, but installs no attest extra"
    ]
    travis = {"install": ["pip install shipyard-release"], "script": ["shipyard test-install"]}
    assert trust.violations("travis", travis, names) != []


@pytest.mark.parametrize("ci", ["gitlab", "travis"])
def test_the_guard_stops_a_job_a_credential_reaches(ci: str, roots: dict[str, Path], tmp_path: Path) -> None:
    """Where a CI hands settings variables to every job, the jobs that run project code stop first
    thing when one of the file's credentials reaches them, naming it (never its value)."""
    root = roots["packrepo"]
    doc = generated(root, ci, None)
    guard = doc["test"]["before_script"][0] if ci == "gitlab" else doc["install"][0]
    names = credential_names(root, None)
    assert trust.is_guard(guard, names)
    base = {k: v for k, v in os.environ.items() if k not in names}
    clean = subprocess.run(["bash", "-e", "-c", guard], env=base, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stderr
    for name in ("SHIPYARD_PYPI_TOKEN", "PROD_PYPI_TOKEN", "SHIPYARD_PUSH_TOKEN"):
        run = subprocess.run(
            ["bash", "-e", "-c", guard],
            env={**base, name: "pypi-secret-value-0123"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 1
        assert run.stderr.startswith(f"error: {name} reaches a job that runs the project's code")
        assert "pypi-secret-value-0123" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("ci", "host", "user"),
    [
        ("gitlab", "forge.example.invalid", "gitlab-ci-token"),
        ("travis", "github.com", "x-access-token"),
        ("azure", "dev.azure.com", "build"),
    ],
)
def test_the_push_credential_reaches_git_through_its_environment(
    ci: str, host: str, user: str, roots: dict[str, Path], tmp_path: Path
) -> None:
    """A packaging repository's push: the generated command's git environment answers git's
    credential request with SHIPYARD_PUSH_TOKEN (git asks it when the push is refused without one),
    and git is pointed at the forge's URL without the job's token; nothing goes to .git/config."""
    [made] = generate.pipelines(roots["packrepo"], [ci], None)
    [block] = [s for s in trust.shell_scripts(yaml.safe_load(made.text)) if "GIT_CONFIG_COUNT" in s]
    prefix = block[block.index("GIT_CONFIG_COUNT") : block.index("shipyard release --changed")]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "CI_SERVER_URL": "https://forge.example.invalid",
        "CI_PROJECT_PATH": "group/tools",
        "TRAVIS_REPO_SLUG": "group/tools",
        "SHIPYARD_PUSH_TOKEN": "push-token-0123456789",
    }
    script = prefix + "git credential fill && " + prefix + "git config --get remote.origin.pushurl || true"
    asked = f"protocol=https\nhost={host}\npath=group/tools.git\n\n"
    run = subprocess.run(
        ["bash", "-c", script], input=asked, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert f"username={user}\npassword=push-token-0123456789\n" in run.stdout
    if ci != "azure":  # GitLab's and Travis's origin carries the job's own token or none: pushurl
        assert run.stdout.strip().endswith(
            f"https://{'forge.example.invalid' if ci == 'gitlab' else 'github.com'}/group/tools.git"
        )
    assert not (tmp_path / ".gitconfig").exists()
