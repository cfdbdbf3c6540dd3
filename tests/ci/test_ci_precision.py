"""`shipyard ci check` on the kinds of file that gave false errors on workflows nobody here wrote
(issue 22, point 10; the real files are in tests/ci/corpus, set "fresh"): each case next to the one
that must still be an error, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from shipyard.ci.lint import check as lint
from tests.helpers.projects import ShipyardCLI

SERVICES = """\
name: tests
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      minio:
        image: bitnamilegacy/minio:latest
        env:
          MINIO_ROOT_USER: minioadmin
          MINIO_ROOT_PASSWORD: minioadmin
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: throwaway-pg-pw
    env:
      MINIO_SECRET_KEY: minioadmin
      DJANGO_SECRET_KEY: django_tests_secret_key
    steps:
      - run: pytest
        env:
          PGPASSWORD: throwaway-pg-pw
          TWINE_PASSWORD: pypi-AgEIcHlwaS5vcmcCJGJmZDc0
"""


def findings(shipyard: ShipyardCLI, root: Path, name: str, text: str) -> list[tuple[int, str, str]]:
    path = root / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    done = shipyard("ci", "check", "--json", "-C", str(root))
    assert done.code in (0, 1), done.out + done.err
    return [(f["line"], f["rule"], f["level"]) for f in json.loads(done.out)["findings"]]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_service_container_passwords_are_no_leaked_credential(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    found = findings(shipyard, tmp_path, "tests.yml", SERVICES)
    literal = [(line, level) for line, rule, level in found if rule == "secret-literal"]
    # the service's passwords, repeated for the tests, and a value that says it is a test's: none;
    # a real-looking upload token in the same job still is
    assert literal == [(line_of(SERVICES, "TWINE_PASSWORD"), "error")]
    # doctor reads the file through the same rules
    shown = [f for f in lint.secrets_shown(tmp_path) if f.rule == "secret-literal"]
    assert [f.line for f in shown] == [line_of(SERVICES, "TWINE_PASSWORD")]


BOT = """\
name: label
on: pull_request_target
permissions:
  contents: read
  pull-requests: write
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/labeler@8558fd74291d67161a8a78ce36a881fa63b766a9 # v5
        with:
          repo-token: ${{ secrets.GITHUB_TOKEN }}
"""
PUBLISHING = """\
  publish:
    needs: [label]
    runs-on: ubuntu-latest
    environment: pypi
    steps:
      - run: pytest && twine upload dist/*
        env:
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
"""


def test_write_scopes_for_the_whole_workflow_matter_where_they_reach_a_publisher(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """A bot's one job needs the scope it is given: a warning. The same grant reaching a second job
    that uploads with a secret: an error."""
    line = line_of(BOT, "pull-requests: write")
    alone = findings(shipyard, tmp_path, "label.yml", BOT)
    assert [(n, level) for n, rule, level in alone if rule == "excessive-permissions"] == [(line, "warning")]
    two = BOT + PUBLISHING
    shared = findings(shipyard, tmp_path, "label.yml", two)
    assert [(n, level) for n, rule, level in shared if rule == "excessive-permissions"] == [(line, "error")]


WINDOWS = """\
name: smoke
on:
  push:
    branches: main
permissions: {}
jobs:
  smoke:
    runs-on: RUNNER
    steps:
      - run: |
          (& ./uv generate-shell-completion powershell) | Out-String | Invoke-Expression
"""


def test_windows_runs_are_powershell_and_one_branch_filter_is_valid(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    windows = findings(shipyard, tmp_path, "smoke.yml", WINDOWS.replace("RUNNER", "windows-latest"))
    assert not [f for f in windows if f[2] == "error"], windows
    linux = findings(shipyard, tmp_path, "smoke.yml", WINDOWS.replace("RUNNER", "ubuntu-latest"))
    assert [(n, rule) for n, rule, level in linux if level == "error"] == [(11, "bash-syntax")]


SCRIPTED = """\
name: publish
on:
  push:
    tags: ['*']
permissions: {}
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5
      - run: scripts/publish
        env:
          TWINE_USERNAME: __token__
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
"""


def test_a_job_handed_an_upload_credential_publishes(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """encode/databases and piccolo upload from a script of theirs given TWINE_PASSWORD: the job
    publishes, so the checkout that keeps its token there is an error."""
    found = findings(shipyard, tmp_path, "publish.yml", SCRIPTED)
    assert [(n, level) for n, rule, level in found if rule == "artipacked"] == [(10, "error")]
    plain = SCRIPTED.replace("TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}", "CI_DEBUG: '1'")
    quiet = findings(shipyard, tmp_path, "publish.yml", plain)
    assert [(n, level) for n, rule, level in quiet if rule == "artipacked"] == [(10, "warning")]
