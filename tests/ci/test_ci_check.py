"""`shipyard ci check`: every file `ci init` writes is clean; each rule fires, on the right line, on a
broken variant of a generated file; the seeds' pipelines get the findings they deserve."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shipyard.ci.generate import providers as generate
from shipyard.ci.lint import check as lint
from shipyard.ci.lint.findings import Finding
from tests.helpers.pipelines import cases, make_compiled, make_feed, make_packrepo, make_single
from tests.helpers.projects import ShipyardCLI

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ci"


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_single(tmp_path_factory)


@pytest.fixture(scope="module")
def packrepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_packrepo(tmp_path_factory)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_feed(tmp_path_factory)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_compiled(tmp_path_factory)


def render(root: Path, ci: str, trigger: list[str] | None = None) -> str:
    [made] = generate.pipelines(root, [ci], trigger)
    return made.text


def check_text(tmp_path: Path, name: str, text: str) -> list[Finding]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return lint.check_file(path, name)


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` after the first `after`."""
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def hits(findings: list[Finding], rule: str) -> list[int | None]:
    return [f.line for f in findings if f.rule == rule]


FILENAMES = {
    "github": ".github/workflows/release.yml",
    "gitlab": ".gitlab-ci.yml",
    "azure": "azure-pipelines.yml",
    "travis": ".travis.yml",
}


@pytest.mark.parametrize(("ci", "kind", "trigger"), list(cases()))
def test_every_generated_file_is_clean(
    ci: str,
    kind: str,
    trigger: list[str] | None,
    single: Path,
    packrepo: Path,
    feed: Path,
    compiled: Path,
    tmp_path: Path,
) -> None:
    text = render(
        {"single": single, "packrepo": packrepo, "feed": feed, "compiled": compiled}[kind], ci, trigger
    )
    assert check_text(tmp_path, FILENAMES[ci], text) == []


# ------------------------------------------------------------------ each rule on a broken variant


def broken(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_github_rules_fire_on_the_right_line(single: Path, tmp_path: Path) -> None:
    good = render(single, "github")
    wf = ".github/workflows/release.yml"

    text = broken(good, "permissions: {}", "permissions:\n  contents: read\n  id-token: write")
    assert hits(check_text(tmp_path, wf, text), "id-token-scope") == [line_of(text, "id-token: write")]

    text = broken(good, "    needs: [build]\n", "    needs: []\n")
    found = check_text(tmp_path, wf, text)
    assert hits(found, "release-needs-tests") == [
        line_of(text, "  publish-testpypi:"),
        line_of(text, "  publish-pypi:"),
    ]
    assert all(f.level == "error" for f in found if f.rule == "release-needs-tests")

    checkout = good[good.index("actions/checkout@") : good.index("\n", good.index("actions/checkout@"))]
    text = broken(good, checkout, "actions/checkout@v4")
    assert hits(check_text(tmp_path, wf, text), "unpinned-action") == [line_of(text, "actions/checkout@v4")]
    text = broken(good, checkout, "actions/checkout@v2")
    found = check_text(tmp_path, wf, text)
    assert hits(found, "deprecated-action") == [line_of(text, "actions/checkout@v2")]
    pinned_old = "actions/checkout@" + "a" * 40 + " # v2.7.0"
    text = broken(good, checkout, pinned_old)
    found = check_text(tmp_path, wf, text)
    assert hits(found, "deprecated-action") == [line_of(text, pinned_old)]
    assert hits(found, "unpinned-action") == []

    publish = "      - run: shipyard publish --to pypi\n"
    steps = {
        "secret-echo": ('      - run: echo "token $SHIPYARD_PYPI_TOKEN"\n', "echo"),
        "secret-to-file": (
            '      - run: echo "password = ${SHIPYARD_PYPI_TOKEN}" >> ~/.pypirc\n',
            "echo",
        ),
        "secret-dump": ("      - run: cat ~/.pypirc\n", "cat"),
        "deprecated-command": ('      - run: echo "::set-output name=files::dist"\n', "set-output"),
        "twine-skip-existing": ("      - run: twine upload --skip-existing dist/*\n", "twine"),
        "setup-py": ("      - run: python setup.py sdist bdist_wheel\n", "setup.py"),
        "bash-syntax": ("      - run: |\n          ls\n          if true; then echo x\n", "if true"),
    }
    for rule, (step, needle) in steps.items():
        text = broken(good, publish, step + publish)
        found = check_text(tmp_path, wf, text)
        assert hits(found, rule) == [line_of(text, needle, after="publish-pypi")], (rule, found)

    # tracing in a step that is given a token prints it; the same step without a secret is fine
    traced = "      - run: |\n          set -x\n          shipyard publish --to pypi\n        env:\n"
    text = broken(good, "      - run: shipyard publish --to pypi\n        env:\n", traced)
    assert hits(check_text(tmp_path, wf, text), "secret-xtrace") == [line_of(text, "set -x")]
    text = broken(
        good, "      - run: ruff check .\n", "      - run: |\n          set -x\n          ruff check .\n"
    )
    assert hits(check_text(tmp_path, wf, text), "secret-xtrace") == []

    text = broken(good, "    runs-on: ubuntu-latest\n", "    runs_on: ubuntu-latest\n")
    found = check_text(tmp_path, wf, text)
    assert hits(found, "schema") and hits(found, "schema")[0] == line_of(text, "  lint:")


def test_github_packaging_repo_shallow_checkout(packrepo: Path, tmp_path: Path) -> None:
    good = render(packrepo, "github")
    text = good.replace("fetch-depth: 0  # full history", "fetch-depth: 1  # full history")
    found = check_text(tmp_path, ".github/workflows/release.yml", text)
    shallow = hits(found, "shallow-clone")
    # the jobs that release (or plan) from tags and commits: each publish matrix and the record job
    expected = [
        line_of(text, "fetch-depth: 1", after=f"  {job}:")
        for job in ("publish-feed", "publish-pypi", "record")
    ]
    assert [line for line in expected if line in shallow] == expected
    assert all(f.level == "error" for f in found if f.rule == "shallow-clone")


def test_gitlab_rules_fire_on_the_right_line(single: Path, tmp_path: Path) -> None:
    good = render(single, "gitlab")
    text = broken(good, 'GIT_DEPTH: "0"', 'GIT_DEPTH: "10"')
    assert hits(check_text(tmp_path, ".gitlab-ci.yml", text), "shallow-clone") == [line_of(text, "GIT_DEPTH")]
    text = broken(
        good,
        "release:\n  stage: release\n  needs: [build]",
        "release:\n  stage: test\n  needs: []",
    )
    found = check_text(tmp_path, ".gitlab-ci.yml", text)
    assert hits(found, "release-needs-tests") == [line_of(text, "release:\n")]
    text = broken(good, "  - cleanup\n", "")
    assert hits(check_text(tmp_path, ".gitlab-ci.yml", text), "unknown-stage") == [
        line_of(text, "stage: cleanup")
    ]


def test_azure_rules_fire_on_the_right_line(single: Path, tmp_path: Path) -> None:
    good = render(single, "azure")
    release = good.index("- job: Release")
    text = good[:release] + good[release:].replace('fetchDepth: "0"', 'fetchDepth: "1"', 1)
    assert hits(check_text(tmp_path, "azure-pipelines.yml", text), "shallow-clone") == [
        line_of(text, 'fetchDepth: "1"')
    ]
    text = broken(good, "    dependsOn: Build\n", "    dependsOn: []\n")
    assert hits(check_text(tmp_path, "azure-pipelines.yml", text), "release-needs-tests") == [
        line_of(text, "- job: Release")
    ]


def test_travis_rules_fire_on_the_right_line(single: Path, tmp_path: Path) -> None:
    good = render(single, "travis")
    text = broken(good, "depth: false", "depth: 3")
    assert hits(check_text(tmp_path, ".travis.yml", text), "shallow-clone") == [line_of(text, "depth: 3")]
    text = broken(good, "    - stage: release\n", "    - stage: test\n")
    assert hits(check_text(tmp_path, ".travis.yml", text), "release-needs-tests") == [
        line_of(text, "- stage: test")
    ]


# ------------------------------------------------------------------ the seeds' pipelines


def rules_at(path: Path) -> set[tuple[int | None, str, str]]:
    return {(f.line, f.rule, f.level) for f in lint.check_file(path, path.name)}


def test_gitlab_seed() -> None:
    text = (FIXTURES / "seed-gitlab-ci.yml").read_text()
    found = rules_at(FIXTURES / "seed-gitlab-ci.yml")
    assert (line_of(text, "stage:\n"), "schema", "error") in found  # `stage:` where `stages:` was meant
    assert (line_of(text, "stage: cleanup"), "unknown-stage", "error") in found
    assert (line_of(text, 'password=" ${PYPI_PASSWORD}'), "secret-to-file", "warning") in found
    assert (line_of(text, "setup.py check"), "setup-py", "error") in found  # setup.py upload is gone
    # the deploy stage comes after the tests: no release-needs-tests finding
    assert not [f for f in found if f[1] == "release-needs-tests"]


def test_travis_seed() -> None:
    text = (FIXTURES / "seed-travis.yml").read_text()
    found = rules_at(FIXTURES / "seed-travis.yml")
    assert (line_of(text, "server: https://pypi.python.org/pypi"), "old-index-url", "error") in found
    assert (line_of(text, "env:\n  - ...") + 1, "schema", "error") in found  # `...` is no VAR=value
    assert not [f for f in found if f[1] in ("release-needs-tests", "secret-echo")]  # deploy follows script


def test_azure_seed_style() -> None:
    text = (FIXTURES / "seed-style-azure-pipelines.yml").read_text()
    found = rules_at(FIXTURES / "seed-style-azure-pipelines.yml")
    assert (line_of(text, "- job: Release"), "release-needs-tests", "error") in found  # no dependsOn
    assert (line_of(text, "- job: Release"), "shallow-clone", "error") in found  # setuptools-scm, no checkout
    assert (line_of(text, "setup.py sdist", after="job: Release"), "setup-py", "warning") in found


def test_paa_style_workflow() -> None:
    text = (FIXTURES / "paa-style-workflow.yml").read_text()
    found = rules_at(FIXTURES / "paa-style-workflow.yml")
    expected = {
        (line_of(text, "id-token: write"), "id-token-scope", "error"),
        (line_of(text, "actions/checkout@v2"), "deprecated-action", "error"),
        (line_of(text, "actions/setup-python@v3"), "deprecated-action", "error"),
        (line_of(text, "::set-output"), "deprecated-command", "warning"),
        (line_of(text, "          fi\n"), "bash-syntax", "error"),  # the `if` that is never closed
        (line_of(text, "set -x"), "secret-xtrace", "error"),
        (line_of(text, 'echo "uploading'), "secret-echo", "error"),
        (line_of(text, "--skip-existing"), "twine-skip-existing", "warning"),
    }
    assert expected <= found, expected - found
    # paa versions from its .paa/tracking files and diffs the last few commits (the real
    # package-auto-assembler repository's tools read HEAD~1..HEAD~3): a shallow checkout is enough
    assert not [f for f in found if f[1] == "shallow-clone"]


# ------------------------------------------------------------------ the command


def test_command_exit_codes_and_json(shipyard: ShipyardCLI, single: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / ".github" / "workflows").mkdir(parents=True)
    for ci in ("github", "gitlab", "azure", "travis"):
        path = project / FILENAMES[ci]
        path.write_text(render(single, ci))
    clean = shipyard("ci", "check", "-C", str(project))
    assert clean.code == 0, clean.text
    assert clean.out.strip() == "4 files checked: 0 errors, 0 warnings"

    (project / ".github" / "workflows" / "paa.yml").write_text(
        (FIXTURES / "paa-style-workflow.yml").read_text()
    )
    dirty = shipyard("ci", "check", "--json", "-C", str(project))
    assert dirty.code == 1, dirty.text
    doc = json.loads(dirty.out)
    assert doc["ok"] is False and ".github/workflows/paa.yml" in doc["files"]
    assert {f["file"] for f in doc["findings"]} == {".github/workflows/paa.yml"}
    assert {"file", "line", "rule", "level", "message", "fix"} == set(doc["findings"][0])

    one = shipyard("ci", "check", str(FIXTURES / "paa-style-workflow.yml"))
    assert one.code == 1
    assert "paa-style-workflow.yml:" in one.out and "error [secret-echo]" in one.out
    warned = shipyard("ci", "check", str(FIXTURES / "seed-travis.yml"), "--json")
    assert any(f["level"] == "warning" or f["level"] == "error" for f in json.loads(warned.out)["findings"])

    empty = shipyard("ci", "check", "-C", str(tmp_path / "nothing"))
    assert empty.code == 2 and "no pipeline file" in empty.err
    missing = shipyard("ci", "check", str(tmp_path / "nope.yml"))
    assert missing.code == 2 and "no such pipeline file" in missing.err


def test_schema_check_needs_check_jsonschema(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without check-jsonschema the schema is not checked: one warning, never a failure."""
    monkeypatch.setitem(sys.modules, "check_jsonschema.builtin_schemas", None)
    found = check_text(tmp_path, ".travis.yml", "language: python\nscript: [pytest]\n")
    assert [(f.rule, f.level, f.line) for f in found] == [("schema", "warning", 1)]
    assert "check-jsonschema is not installed" in found[0].message


def test_credentials_passed_on_are_not_findings(single: Path, tmp_path: Path) -> None:
    good = render(single, "github")
    publish = "      - run: shipyard publish --to pypi\n"
    for step in (
        '      - run: echo "$SHIPYARD_PYPI_TOKEN" | docker login --password-stdin ghcr.io\n',
        '      - run: echo "::add-mask::$SHIPYARD_PYPI_TOKEN"\n',
        "      - run: env VERBOSE=1 shipyard check\n",
    ):
        assert (
            check_text(tmp_path, ".github/workflows/release.yml", broken(good, publish, step + publish)) == []
        )


REUSABLE = """\
name: publish
on:
  workflow_call:
    inputs:
      version: {type: string, required: true}
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    permissions: {contents: read}
    steps:
      - run: pytest
  publish:
    needs: [test]
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: pypa/gh-action-pypi-publish@ed0c53931b1dc9bd32cbe73a98c7f6766f8a527e # v1.13.0
"""


def test_trusted_publishing_from_a_reusable_workflow_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """PyPI refuses trusted publishing from a called workflow (issue 22, point 9): an error where
    workflow_call is the only trigger, a warning where the workflow also runs on its own."""
    path = tmp_path / ".github" / "workflows" / "publish.yml"
    path.parent.mkdir(parents=True)
    path.write_text(REUSABLE)
    done = shipyard("ci", "check", "--json", "-C", str(tmp_path))
    assert done.code == 1, done.out + done.err
    found = [f for f in json.loads(done.out)["findings"] if f["rule"] == "reusable-trusted-publishing"]
    assert [(f["line"], f["level"]) for f in found] == [(line_of(REUSABLE, "  publish:\n"), "error")]
    assert "PyPI's trusted publishing refuses uploads from a called workflow" in found[0]["message"]
    both = REUSABLE.replace("on:\n  workflow_call:", "on:\n  push:\n    tags: ['v*']\n  workflow_call:")
    path.write_text(both)
    again = json.loads(shipyard("ci", "check", "--json", "-C", str(tmp_path)).out)["findings"]
    assert [f["level"] for f in again if f["rule"] == "reusable-trusted-publishing"] == ["warning"]
    # a token secret in a reusable workflow, or id-token on a job that does not publish: no finding
    path.write_text(REUSABLE.replace("      id-token: write\n", ""))
    quiet = json.loads(shipyard("ci", "check", "--json", "-C", str(tmp_path)).out)["findings"]
    assert not [f for f in quiet if f["rule"] == "reusable-trusted-publishing"]
