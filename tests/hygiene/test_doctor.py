"""`shipyard doctor` on real git repositories (and a real pypiserver for the name check)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import POETRY_PYPROJECT as POETRY
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml
from tests.helpers.releases import creds

# a fake token shaped like PyPI's (pypi- and a base64url macaroon); never printed by doctor
FAKE = "pypi-AgEIcHlwaS5vcmcCJGRvY3Rvci1maW5kcy10aGlzLWZha2UtdG9rZW4tZm9yLXRlc3Rz"  # shipyard: fake-token
HISTORY_FAKE = FAKE[:-6] + "SGlzdG"  # shipyard: fake-token

WORKFLOW = """\
name: release
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    env:
      TWINE_PASSWORD: hunter2-literal-value
    steps:
      - run: echo $PYPI_TOKEN
      - run: |
          set -ex
          shipyard release
        env:
          SHIPYARD_PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}
      - run: cat ~/.pypirc
      - run: echo "password = ${{ secrets.PYPI_PASSWORD }}" >> ~/.pypirc
      - run: echo "$REGISTRY_TOKEN" | docker login --password-stdin
      # echo $COMMENTED_TOKEN is a comment
"""


def doctor_json(shipyard: ShipyardCLI, root: Path, *args: str) -> tuple[int, list[dict[str, object]], str]:
    run = shipyard("doctor", "-C", str(root), "--json", *args)
    return run.code, json.loads(run.out)["findings"], run.err


def test_a_clean_project_has_no_findings(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "clean")
    (root / ".gitignore").write_text("dist/\n.shipyard/\n.env\n.pypirc\n")
    git(root, "commit", "-qam", "ignore .pypirc")
    run = shipyard("doctor", "-C", str(root))
    assert run.code == 0, run.text
    assert "doctor: 0 errors, 0 warnings" in run.out and run.err == ""


def test_every_kind_of_finding_with_place_severity_and_fix(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "messy")
    (root / ".gitignore").write_text("__pycache__/\n")  # none of the four entries
    (root / "deploy").mkdir()
    (root / "deploy" / ".pypirc").write_text("[pypi]\nusername = __token__\npassword = x\n")
    (root / ".env").write_text("SHIPYARD_PYPI_TOKEN=x\n")
    (root / "notes.md").write_text(f"# notes\n\nthe token: {FAKE}\n")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "release.yml").write_text(WORKFLOW)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "messy")
    # a token committed once and removed since: still in the history
    (root / "old.txt").write_text(f"{HISTORY_FAKE}\n")
    git(root, "add", "old.txt")
    git(root, "commit", "-qm", "oops")
    git(root, "rm", "-q", "old.txt")
    git(root, "commit", "-qm", "remove it")

    run = shipyard("doctor", "-C", str(root))
    assert run.code == 1
    assert run.err.count("\n") == 1 and run.err.startswith("error: ")
    assert FAKE not in run.text and HISTORY_FAKE not in run.text and FAKE[8:30] not in run.text
    assert "\nerror: notes.md:3: a PyPI token (pypi-AgE...) is committed in this file\n    fix: " in run.out
    assert "\nwarning: .gitignore: .env is not ignored by git\n    fix: " in run.out
    assert "ERROR" not in run.out and "WARNING" not in run.out

    code, findings, _ = doctor_json(shipyard, root)
    assert code == 1
    got = {(f["severity"], f["path"], f["line"], str(f["problem"]).split(" ")[0]) for f in findings}
    wf = ".github/workflows/release.yml"
    assert got == {
        ("error", ".env", None, ".env"),
        ("error", "deploy/.pypirc", None, ".pypirc"),
        ("error", "notes.md", 3, "a"),
        ("error", "old.txt", None, "a"),  # from the history
        ("error", wf, 7, "TWINE_PASSWORD"),  # a literal credential
        ("error", wf, 9, "echo"),  # echo $PYPI_TOKEN
        ("warning", wf, 11, "shell"),  # set -ex where a token is given but no line expands it
        ("error", wf, 15, "prints"),  # cat ~/.pypirc
        ("warning", wf, 16, "writes"),  # echo ... >> ~/.pypirc
        # line 17, echo ... | docker login --password-stdin, is no finding: as in `ci check`, a secret
        # piped to a command is never shown (and tracing, which would show it, is a finding of its own)
        *(("warning", ".gitignore", None, e) for e in (".env", ".pypirc", "dist/", ".shipyard/")),
    }
    assert all(f["fix"] for f in findings)

    code, findings, _ = doctor_json(shipyard, root, "--no-history")
    assert not any(f["path"] == "old.txt" for f in findings)


def test_a_marked_fake_token_is_not_reported(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "fixtures")
    (root / ".gitignore").write_text("dist/\n.shipyard/\n.env\n.pypirc\n")
    (root / "tests" / "tokens.py").write_text(f'TOKEN = "{FAKE}"  # shipyard: fake-token\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fixture")
    assert shipyard("doctor", "-C", str(root)).code == 0


@pytest.mark.integration
def test_a_name_taken_by_another_project_on_the_index(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    env = creds(staging=fresh_pypiserver)
    # someone else's project of the same name, already on the index
    other = make_project(tmp_path / "other", name="popular-name", version="9.9.9", tool=tool)
    assert shipyard("release", "-C", str(other), "--no-test-install", env=env).code == 0
    ours = make_project(tmp_path / "ours", name="popular-name", version="0.1.0", tool=tool)
    (ours / ".gitignore").write_text("dist/\n.shipyard/\n.env\n.pypirc\n")
    git(ours, "commit", "-qam", "ignores")

    code, findings, _ = doctor_json(shipyard, ours)
    assert code == 0  # a warning: the name may still be ours from elsewhere
    [taken] = findings
    assert taken["severity"] == "warning" and "already serves popular-name (9.9.9)" in str(taken["problem"])

    # once 9.9.9 is one of our tags, the files there are ours
    git(ours, "tag", "v9.9.9")
    assert doctor_json(shipyard, ours)[1] == []
    assert doctor_json(shipyard, ours, "--no-index")[1] == []

    # an index that cannot be read is said, not guessed
    broken = tool.replace(fresh_pypiserver.simple_url, "http://127.0.0.1:9/simple/")
    (ours / "pyproject.toml").write_text((ours / "pyproject.toml").read_text().replace(tool, broken))
    code, findings, _ = doctor_json(shipyard, ours)
    assert code == 0 and "could not read staging" in str(findings[0]["problem"])


DUNDER = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "tiny-pkg"
dynamic = ["version"]
description = "A test package"
readme = "README.md"

[tool.hatch.version]
path = "src/tiny_pkg/__init__.py"
"""


@pytest.mark.integration
@pytest.mark.parametrize("declaration", [POETRY, DUNDER], ids=["poetry", "dunder-version"])
def test_no_name_warning_right_after_shipyard_released_the_project(
    declaration: str, shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    """The versions that count as ours are the ones shipyard resolves (issue 13, point 16), not
    only `[project] version`: a Poetry or a `__version__` project's own release is ours."""
    tool = '\n[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(tmp_path / "proj", with_tests=False)
    (root / "pyproject.toml").write_text(declaration + tool)
    (root / ".gitignore").write_text("dist/\n.shipyard/\n.env\n.pypirc\n")
    git(root, "commit", "-qam", "declared elsewhere")
    run = shipyard("release", "--no-test-install", "-C", str(root), env=creds(staging=fresh_pypiserver))
    assert run.code == 0, run.text
    assert len(fresh_pypiserver.served_files("tiny-pkg")) == 2
    assert git(root, "tag", "--list") == ""  # no tag to say so: only the declared version can

    code, findings, _ = doctor_json(shipyard, root)
    assert (code, findings) == (0, [])
