"""The rules on credentials shown in a CI log are one set: the same line gives the same finding (rule
and level) in `shipyard ci check` and in `shipyard doctor`, whether doctor reads the file through
ci check's job model (GitHub, GitLab) or as one script (a Jenkinsfile, CircleCI, YAML that does not
parse)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard.ci.lint import check as lint
from shipyard.ci.lint.findings import Finding
from shipyard.hygiene import doctor
from tests.helpers.projects import ShipyardCLI, git, make_project

LITERAL = ("TWINE_PASSWORD", "hunter2-literal-value")
# (a line of a script, or a variable set literally) -> the findings it gives, as (rule, level)
CASES: list[tuple[str | tuple[str, str], set[tuple[str, str]]]] = [
    ('echo "token $PYPI_TOKEN"', {("secret-echo", "error")}),
    ('printf "%s" "${{ secrets.PYPI_TOKEN }}"', {("secret-echo", "error")}),
    ('echo "password = ${PYPI_TOKEN}" >> ~/.pypirc', {("secret-to-file", "warning")}),
    ("set -Eeux", {("secret-xtrace", "error")}),  # -E: a capital flag before the x
    ("bash -xe release.sh", {("secret-xtrace", "error")}),
    ("set -o xtrace", {("secret-xtrace", "error")}),
    ("cat ~/.pypirc", {("secret-dump", "error")}),
    ("cat ~/.git-credentials", {("secret-dump", "error")}),
    ('head -n 3 "$HOME/.netrc"', {("secret-dump", "error")}),
    ("printenv | sort", {("secret-dump", "error")}),
    (LITERAL, {("secret-literal", "error")}),
    # passed on, never shown: no finding in either
    ('echo "$PYPI_TOKEN" | docker login --password-stdin ghcr.io', set()),
    ('echo "::add-mask::$PYPI_TOKEN"', set()),
    ("cat > ~/.pypirc <<EOF", set()),  # writes the file (a warning of its own when a secret goes in)
    ("env VERBOSE=1 shipyard check", set()),
    ("set -e", set()),
]
IDS = [case if isinstance(case, str) else "literal" for case, _ in CASES]


def _env(case: str | tuple[str, str], yaml: bool) -> str:
    if isinstance(case, str):
        return ""
    return f"{case[0]}: {case[1]}" if yaml else f"{case[0]} = '{case[1]}'"


def _script(case: str | tuple[str, str]) -> str:
    return case if isinstance(case, str) else "shipyard release"


# the line after each case expands the credential (so tracing would print it)
EXPANDS = 'curl -fsS -H "Authorization: token $SHIPYARD_PYPI_TOKEN" -o /dev/null "$STATUS_URL"'


# each file is given a credential (SHIPYARD_PYPI_TOKEN from a secret) and runs the case's line
def github(case: str | tuple[str, str]) -> str:
    return f"""\
name: release
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    env:
      SHIPYARD_PYPI_TOKEN: ${{{{ secrets.PYPI_TOKEN }}}}
      {_env(case, yaml=True)}
    steps:
      - run: |
          shipyard check
          {_script(case)}
          {EXPANDS}
"""


def gitlab(case: str | tuple[str, str]) -> str:
    return f"""\
variables:
  SHIPYARD_PYPI_TOKEN: $PYPI_TOKEN
  {_env(case, yaml=True)}
release:
  script:
    - shipyard check
    - |
      {_script(case)}
      {EXPANDS}
"""


def circleci(case: str | tuple[str, str]) -> str:
    return f"""\
version: 2.1
jobs:
  release:
    docker: [{{image: "python:3.12"}}]
    environment:
      SHIPYARD_PYPI_TOKEN: $PYPI_TOKEN
      {_env(case, yaml=True)}
    steps:
      - run: |
          {_script(case)}
          {EXPANDS}
"""


def jenkinsfile(case: str | tuple[str, str]) -> str:
    return f"""\
pipeline {{
  agent any
  environment {{
    SHIPYARD_PYPI_TOKEN = "${{PYPI_TOKEN}}"
    {_env(case, yaml=False)}
  }}
  stages {{
    stage('release') {{
      steps {{
        // shipyard reads SHIPYARD_PYPI_TOKEN itself
        sh '''
          {_script(case)}
          {EXPANDS}
        '''
      }}
    }}
  }}
}}
"""


def broken_github(case: str | tuple[str, str]) -> str:
    return github(case) + "on: [push\n"  # not YAML any more: doctor reads it as one script


def shown(findings: list[Finding], file: str) -> set[tuple[int | None, str, str]]:
    return {(f.line, f.rule, f.level) for f in findings if f.file == file and f.rule.startswith("secret-")}


def line_of(text: str, case: str | tuple[str, str]) -> int:
    needle = case if isinstance(case, str) else case[1]
    [number] = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return number


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(("case", "expected"), CASES, ids=IDS)
def test_the_same_line_gives_the_same_finding(
    case: str | tuple[str, str], expected: set[tuple[str, str]], tmp_path: Path
) -> None:
    modelled = {".github/workflows/release.yml": github, ".gitlab-ci.yml": gitlab}
    unmodelled = {
        "Jenkinsfile": jenkinsfile,
        ".circleci/config.yml": circleci,
        ".github/workflows/broken.yml": broken_github,
    }
    root = tmp_path / "project"
    for name, make in {**modelled, **unmodelled}.items():
        write(root, name, make(case))
    from_doctor = doctor.examine(root, history=False)

    for name, make in {**modelled, **unmodelled}.items():
        text = make(case)
        want = {(line_of(text, case), rule, level) for rule, level in expected}
        assert shown(from_doctor, name) == want, (name, from_doctor)
        if name in modelled:
            assert shown(lint.check_file(root / name, name), name) == want, name


def test_tracing_a_step_that_expands_no_credential_is_a_warning(tmp_path: Path) -> None:
    """set -x prints commands after expansion: a credential only in the environment is not shown
    (a real workflow's `set -euxo pipefail` in a job given a token), until a line expands it."""
    text = github("set -euxo pipefail").replace(f"          {EXPANDS}\n", "")
    write(tmp_path, "release.yml", text)
    found = shown(lint.check_file(tmp_path / "release.yml", "release.yml"), "release.yml")
    assert found == {(line_of(text, "set -euxo"), "secret-xtrace", "warning")}


def test_a_repeated_line_is_found_on_each_of_its_lines(tmp_path: Path) -> None:
    text = jenkinsfile('echo "token $PYPI_TOKEN"').replace(
        "        '''\n      }", "          echo \"token $PYPI_TOKEN\"\n        '''\n      }"
    )
    write(tmp_path, "Jenkinsfile", text)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "echo" in line]
    assert (
        sorted(f.line or 0 for f in doctor.examine(tmp_path, history=False) if f.file == "Jenkinsfile")
        == lines
    )


def test_one_finding_type_with_a_rule_for_every_doctor_finding(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    (root / ".env").write_text("SHIPYARD_PYPI_TOKEN=x\n")
    write(root, "Jenkinsfile", jenkinsfile("cat ~/.pypirc"))
    git(root, "add", "-A")
    git(root, "add", "-f", ".env")
    git(root, "commit", "-qm", "leaks")
    run = shipyard("doctor", "-C", str(root), "--json")
    assert run.code == 1, run.text
    findings = json.loads(run.out)["findings"]
    assert {f["rule"] for f in findings} == {"tracked-credential-file", "secret-dump", "missing-ignore"}
    for f in findings:  # the one Finding's keys, and doctor's earlier names for three of them
        assert set(f) == {"file", "line", "rule", "level", "message", "fix", "severity", "path", "problem"}
        assert (f["severity"], f["path"], f["problem"]) == (f["level"], f["file"], f["message"])

    found = Finding("Jenkinsfile", 12, "secret-dump", "error", "prints it", "do not")
    assert str(found) == "Jenkinsfile:12: error [secret-dump] prints it (fix: do not)"
    assert Finding(".env", None, "tracked-credential-file", "error", "m", "f").location == ".env"
