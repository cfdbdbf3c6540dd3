"""Terminal manners (issue 26, point 5), through the real CLI: `error:` and `warning:` in colour on a
terminal only (NO_COLOR, FORCE_COLOR, never in a pipe or with --json), "did you mean X?" for a
mistyped command, option, choice or stage, and a build failure named by its exception line."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shipyard.errors import did_you_mean
from shipyard.tools.venvs import exception_line
from tests.helpers.projects import ShipyardCLI, command_env, git, make_project

RED_ERROR = "\x1b[1;31merror:\x1b[0m "
YELLOW_WARNING = "\x1b[1;33mwarning:\x1b[0m "


def _stderr_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run shipyard with stderr (and stdout) on a pseudo-terminal; what the terminal got, as is."""
    leader, follower = pty.openpty()
    got = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower closed: the child is gone
                return
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc = subprocess.run(
        [sys.executable, "-m", "shipyard", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    return proc.returncode, got.decode(errors="replace")


def _env(home: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in command_env(home).items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return {**env, "TERM": "xterm-256color", **more}


def test_error_is_red_on_a_terminal_and_plain_in_a_pipe(
    shipyard: ShipyardCLI, home: Path, tmp_path: Path
) -> None:
    code, shown = _stderr_on_a_terminal(["relase"], _env(home), tmp_path)
    assert code == 2
    assert shown.startswith(RED_ERROR + "argument COMMAND: invalid choice: 'relase', did you mean release?")
    assert shown.count("\n") == 1  # still one line

    code, shown = _stderr_on_a_terminal(["relase"], _env(home, NO_COLOR="1"), tmp_path)
    assert code == 2 and shown.startswith("error: argument COMMAND") and "\x1b" not in shown

    code, shown = _stderr_on_a_terminal(["relase"], _env(home, TERM="dumb"), tmp_path)
    assert code == 2 and shown.startswith("error: ") and "\x1b" not in shown

    # --json: no colour on the terminal either, from argparse's error as from the library's
    code, shown = _stderr_on_a_terminal(["plan", "--json", "--bump", "mayor"], _env(home), tmp_path)
    assert code == 2 and "\x1b" not in shown and "did you mean major?" in shown
    code, shown = _stderr_on_a_terminal(
        ["plan", "-C", str(tmp_path / "none")], _env(home, SHIPYARD_JSON="1"), tmp_path
    )
    assert code == 2 and "\x1b" not in shown and "error: " in shown

    piped = shipyard("relase", cwd=tmp_path)  # a pipe: plain
    assert piped.code == 2 and piped.err.startswith("error: ") and "\x1b" not in piped.err
    forced = shipyard("relase", cwd=tmp_path, env={"FORCE_COLOR": "1"})  # a CI log that shows colour
    assert forced.code == 2 and forced.err.startswith(RED_ERROR)
    both = shipyard("relase", cwd=tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert both.err.startswith("error: ")  # NO_COLOR wins


def test_warning_is_yellow_and_a_library_error_red(home: Path, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    env = _env(home, TWINE_REPOSITORY_URL="https://example.invalid/legacy/")
    code, shown = _stderr_on_a_terminal(["publish", "--to", "pipy", "-C", str(root)], env, tmp_path)
    assert code == 2
    assert YELLOW_WARNING + "TWINE_REPOSITORY_URL is set, but the target is given: it is not used" in shown
    assert RED_ERROR + "unknown repository 'pipy', did you mean pypi? (known: local, pypi, testpypi)" in shown


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["relase"], "invalid choice: 'relase', did you mean release? (choose from 'build'"),
        (
            ["release", "--dryrun"],
            "unrecognized arguments: --dryrun, did you mean --dry-run? (see 'shipyard release",
        ),
        (["plan", "--bump", "mayor"], "invalid choice: 'mayor', did you mean major?"),
        (
            ["ci", "init", "--githib"],
            "unrecognized arguments: --githib, did you mean --github? (see 'shipyard ci init",
        ),
        (["publish", "--to", "testpipy"], "unknown repository 'testpipy', did you mean testpypi? (known: "),
        (["completion", "bsh"], "invalid choice: 'bsh', did you mean bash?"),
    ],
)
def test_did_you_mean(shipyard: ShipyardCLI, tmp_path: Path, args: list[str], said: str) -> None:
    root = make_project(tmp_path / "proj")
    run = shipyard(*args, cwd=root)
    assert run.code == 2, run.text
    assert run.err.startswith("error: ") and run.err.count("\n") == 1 and said in run.err, run.err


def test_a_mistyped_stage_in_the_config(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", tool='[tool.shipyard]\nstages = ["tespypi"]\n')
    run = shipyard("release", "--dry-run", "-C", str(root))
    assert run.code == 2 and "unknown repository 'tespypi', did you mean testpypi?" in run.err, run.text
    typo = make_project(tmp_path / "typo", tool='[tool.shipyard]\nstagse = ["pypi"]\n')
    run = shipyard("plan", "-C", str(typo))
    assert run.code == 2 and "unknown key 'stagse' in [tool.shipyard], did you mean stages?" in run.err


def test_nothing_close_means_no_hint() -> None:
    assert did_you_mean("pipy", ["pypi", "testpypi", "local"]) == ", did you mean pypi?"  # letters swapped
    assert did_you_mean("relase", ["release", "plan"]) == ", did you mean release?"
    assert did_you_mean("zzz", ["release", "plan"]) == ""
    assert did_you_mean("plan", ["release", "plan"]) == ""


HATCH_TRACEBACK = """\
Traceback (most recent call last):
  File "<string>", line 25, in <module>
  File "/env/hatchling/builders/wheel.py", line 281, in default_file_selection_options
    raise ValueError(message)
ValueError: Unable to determine which files to ship inside the wheel

[tool.hatch.build.targets.wheel]
packages = ["src/foo"]
"""


def test_the_exception_line_of_the_last_traceback() -> None:
    assert (
        exception_line(HATCH_TRACEBACK)
        == "ValueError: Unable to determine which files to ship inside the wheel"
    )
    chained = (
        "Traceback (most recent call last):\n  File 'a'\nKeyError: 'x'\n\nDuring handling of the above "
        "exception, another exception occurred:\n\nTraceback (most recent call last):\n  File 'b'\n"
        "    raise\nsetuptools.errors.SetupError: bad\n"
    )
    assert exception_line(chained) == "setuptools.errors.SetupError: bad"
    assert exception_line("checking...\nerror: command 'gcc' failed\n") == "error: command 'gcc' failed"
    assert exception_line("") == "no output"


@pytest.mark.integration  # the build environment installs hatchling from the package index
def test_a_backend_failure_is_named_by_its_exception(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """hatchling cannot tell which files go into the wheel of `foo` when the code is in src/bar:
    its ValueError ends with an example, `packages = ["src/foo"]`, which is no summary."""
    root = make_project(tmp_path / "foo", name="foo")
    git(root, "mv", "src/foo", "src/bar")
    git(root, "commit", "-qm", "the package folder named otherwise")
    run = shipyard("build", "-C", str(root))
    assert run.code == 1, run.text
    assert run.err.startswith(
        "error: building the wheel failed: ValueError: Unable to determine which files"
    ), run.err
    assert run.err.count("\n") == 1 and 'packages = ["src/foo"]' not in run.err
    verbose = shipyard("build", "-v", "-C", str(root))  # the whole output is still there on request
    assert 'packages = ["src/foo"]' in verbose.err
