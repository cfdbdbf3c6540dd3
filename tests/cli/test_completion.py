"""`shipyard completion SHELL` (issue 26, point 4): each script loaded by the real shell and asked
to complete, as the shell does on TAB (bash: COMP_WORDS/COMP_CWORD and the registered function;
zsh: the function with `words`/`CURRENT`, its compadd and _describe recorded; fish: `complete -C`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.cli import parser
from tests.helpers.projects import ShipyardCLI, command_env, make_project

BIN = Path(sys.executable).parent  # where the `shipyard` command of this environment is
STAGING = '[tool.shipyard]\nstages = ["staging", "pypi"]\n\n[tool.shipyard.repositories.staging]\n'
STAGING += 'upload-url = "http://127.0.0.1:9/legacy/"\nsimple-url = "http://127.0.0.1:9/simple/"\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project declaring a repository of its own (`staging`), whose name completion offers."""
    root = make_project(tmp_path / "proj", tool=STAGING)
    (root / "docs").mkdir()
    return root


def _script(shipyard: ShipyardCLI, shell: str, folder: Path) -> Path:
    run = shipyard("completion", shell)
    assert run.code == 0 and run.err == "", run.text
    path = folder / f"shipyard.{shell}"
    path.write_text(run.out)
    return path


def _shell(cmd: list[str], home: Path, cwd: Path) -> str:
    env = {**command_env(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout + proc.stderr
    return proc.stdout


BASH_ASK = r"""
source "$1"; shift
complete -p shipyard
ask() {  # what TAB offers after the words given (the last one is the word being typed)
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    _shipyard
    echo "[$*] ${COMPREPLY[*]}"
}
ask shipyard rel
ask shipyard ""
ask shipyard ci -C . in
ask shipyard release --bu
ask shipyard release --bump m
ask shipyard publish --to ""
ask shipyard publish --to = st
ask shipyard release --stages pypi,st
ask shipyard doctor -C "$PWD" --on ""
ask shipyard build -C do
ask shipyard ci check pyp
ask shipyard completion ""
"""


def test_bash_completes_commands_options_choices_and_the_projects_repositories(
    shipyard: ShipyardCLI, home: Path, project: Path, tmp_path: Path
) -> None:
    script = _script(shipyard, "bash", tmp_path)
    said = _shell(["bash", "--norc", "-c", BASH_ASK, "ask", str(script)], home, project).splitlines()
    assert said[0] == "complete -F _shipyard shipyard"
    answers = {}
    for line in said[1:]:
        asked, _, offered = line.partition("] ")
        answers[asked.rstrip("]")] = offered
    assert answers["[shipyard rel"] == "release"
    top = answers["[shipyard "].split()
    assert top == list(parser().commands)  # every command, from the parser itself
    assert answers["[shipyard ci -C . in"] == "init"
    assert answers["[shipyard release --bu"] == "--bump"
    assert answers["[shipyard release --bump m"] == "minor major"
    assert answers["[shipyard publish --to "].split() == ["local", "pypi", "staging", "testpypi"]
    assert answers["[shipyard publish --to = st"] == "staging"
    assert answers["[shipyard release --stages pypi,st"] == "pypi,staging"
    assert "staging" in answers[f"[shipyard doctor -C {project} --on "].split()
    assert answers["[shipyard build -C do"] == "docs"
    assert answers["[shipyard ci check pyp"] == "pyproject.toml"
    assert answers["[shipyard completion "] == "bash zsh fish"
    if shutil.which("shellcheck"):  # ./run.sh ci-tools installs it
        check = subprocess.run(
            ["shellcheck", "-s", "bash", str(script)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout


ZSH_ASK = r"""
autoload -U compinit && compinit -u -D
source "$1"
print -r -- "registered: $_comps[shipyard]"
# what the function hands the completion system, recorded (and, as zsh does, kept if they start
# with the word typed) instead of shown
compadd() {
    local -a args=("$@"); local i=${args[(i)--]}
    (( i <= $#args )) && print -rl -- "${(@)args[i+1,-1]}"
    (( ${args[(I)-a]} )) && print -rl -- "${(@P)args[-1]}"
    return 0
}
_describe() { print -rl -- "${(@)${(@P)${@[-1]}}%%:*}"; }
_files() { print -r -- "files $*"; }
compset() { return 0; }
ask() {
    words=("$@"); CURRENT=$#
    local -a offered=(${(f)"$(_shipyard)"})
    local -a kept=(${(M)offered:#${words[CURRENT]}*})
    print -r -- "[$*] ${(j: :)kept}"
}
ask shipyard rel
ask shipyard ci ''
ask shipyard release --bump ''
ask shipyard publish --to ''
ask shipyard build -C ''
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (apt-get install zsh)")
def test_zsh_loads_the_script_and_offers_commands(
    shipyard: ShipyardCLI, home: Path, project: Path, tmp_path: Path
) -> None:
    script = _script(shipyard, "zsh", tmp_path)
    said = _shell(["zsh", "-f", "-c", ZSH_ASK, "ask", str(script)], home, project).splitlines()
    assert said[0] == "registered: _shipyard"
    assert "[shipyard rel] release" in said
    assert "[shipyard ci ] init check" in said
    assert "[shipyard release --bump ] auto patch minor major" in said
    assert "[shipyard publish --to ] local pypi staging testpypi" in said
    assert "[shipyard build -C ] files -/" in said
    # saved as _shipyard in a folder of $fpath, compinit finds it by its first line
    (tmp_path / "functions").mkdir()
    script.rename(tmp_path / "functions" / "_shipyard")
    found = f"fpath=({tmp_path / 'functions'} $fpath); autoload -U compinit && compinit -u -D; print $_comps[shipyard]"
    assert _shell(["zsh", "-f", "-c", found], home, project) == "_shipyard\n"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (apt-get install fish)")
def test_fish_loads_the_script_and_offers_commands(
    shipyard: ShipyardCLI, home: Path, project: Path, tmp_path: Path
) -> None:
    script = _script(shipyard, "fish", tmp_path)

    def ask(line: str) -> list[str]:
        out = _shell(["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"], home, project)
        return [candidate.split("\t")[0] for candidate in out.splitlines()]

    assert ask("shipyard rel") == ["release"]
    assert ask("shipyard ci ") == ["check", "init"] or ask("shipyard ci ") == ["init", "check"]
    assert ask("shipyard ci -C . i") == ["init"]
    assert ask("shipyard release --bump ") == ["auto", "major", "minor", "patch"]
    assert ask("shipyard publish --to ") == ["local", "pypi", "staging", "testpypi"]
    assert ask("shipyard release --stages=pypi,st") == ["--stages=pypi,staging"]
    assert "--dry-run" in ask("shipyard release --dry")
    # one session, one line after another: what was worked out for a line is not another's
    one = f"source {script}; complete -C 'shipyard ci '; echo ==; complete -C 'shipyard release --bump '"
    said = _shell(["fish", "--no-config", "-c", one], home, project).split("==\n")
    assert sorted(c.split("\t")[0] for c in said[0].splitlines()) == ["check", "init"]
    assert [c.split("\t")[0] for c in said[1].splitlines()] == ["auto", "major", "minor", "patch"]


def test_an_unknown_shell_is_one_line_and_exit_2(shipyard: ShipyardCLI) -> None:
    run = shipyard("completion", "tcsh")
    assert run.code == 2 and run.out == ""
    assert run.err.count("\n") == 1 and run.err.startswith("error: argument SHELL: invalid choice: 'tcsh'")
    assert "(choose from 'bash', 'zsh', 'fish')" in run.err
    run = shipyard("completion")
    assert run.code == 2 and run.err == "error: name the shell: shipyard completion bash, zsh or fish\n"


def test_repository_names_without_a_readable_config_are_the_built_in_ones(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text("not [ toml")
    run = shipyard("completion", "--repositories", "-C", str(tmp_path))
    assert (run.code, run.out.split(), run.err) == (0, ["local", "pypi", "testpypi"], "")
