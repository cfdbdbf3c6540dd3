"""Run the project's tests with pytest in the test venv, as its developers run them, against the
installed wheel.

Only copies of the tests (with the pytest configuration and the root conftest.py) are in the run
folder, so pytest's import mode is the project's: the one its configuration sets, else pytest's
default (`prepend`: a conftest.py can import the helper modules beside it). The project's sources
are not there to shadow the wheel, and a plugin proves it: when the run ends, no module of the
wheel's packages may have been imported from a file of the project or of the run folder (rather than
the venv's site-packages), else the run is refused and the line says which module came from where.
(A package's aliases to other modules, such as six.moves' to the standard library, are no concern.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from shipyard import events
from shipyard.check.testlayout import TestLayout
from shipyard.errors import InstallError
from shipyard.tools import venvs

_NO_TESTS_COLLECTED = 5
_TAIL = 40  # lines of each stream kept for --verbose when the tests fail

# run by the venv's python as `python RUNNER REPORT WHAT ARGS...` (WHAT: the wheel's top-level names
# and the folders none of them may come from, JSON): pytest.main with the origin check
_RUNNER = """\
import json, os, sys, sysconfig

sys.path[0] = os.getcwd()  # as `python -m pytest` puts it: the run folder, the tests' copies alone
import pytest


class ShipyardWheelOrigin:
    def __init__(self, report, what):
        self.report, self.names = report, what["names"]
        self.trees = [os.path.realpath(t) + os.sep for t in what["trees"]]

    def pytest_sessionfinish(self, session):
        venv = [os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("purelib", "platlib")]
        foreign = {}
        for name, module in list(sys.modules.items()):
            if not any(name == n or name.startswith(n + ".") for n in self.names):
                continue
            where = getattr(module, "__file__", None)
            if not isinstance(where, str):
                continue  # a namespace package: its modules are checked one by one
            real = os.path.realpath(where)
            if real.startswith(tuple(self.trees)) and not real.startswith(tuple(venv)):
                foreign[name] = real
        with open(self.report, "w", encoding="utf-8") as f:
            json.dump(foreign, f)


sys.exit(int(pytest.main(sys.argv[3:], plugins=[ShipyardWheelOrigin(sys.argv[1], json.loads(sys.argv[2]))])))
"""


def run_tests(
    py: Path, root: Path, layout: TestLayout, names: list[str], work: Path, env: dict[str, str]
) -> tuple[str, str]:
    """Run the tests of `layout` under `root` against the wheel installed for `py` (its top-level
    `names`): ("passed", pytest's last line), or ("none", "") when pytest collected none."""
    run = work / "run"
    copies = layout.copy_to(root, run)
    if layout.config:
        config = run / layout.config
    else:  # pytest's defaults, and no configuration file above the run folder taken by accident
        config = run / "pytest.ini"
        config.write_text("")
    runner, report = work / "runner" / "shipyard_pytest.py", work / "origins.json"
    runner.parent.mkdir()
    runner.write_text(_RUNNER)
    bin_dir = py.parent  # console scripts and tools the tests call (shutil.which) are the venv's
    test_env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    test_env |= {
        "PATH": os.pathsep.join([str(bin_dir), env.get("PATH", "")]),
        "VIRTUAL_ENV": str(bin_dir.parent),
    }
    args = ["-q", "-p", "no:cacheprovider", "--rootdir", str(run), "-c", str(config), *map(str, copies)]
    what = json.dumps({"names": names, "trees": [str(run), str(root)]})
    result = venvs.run([str(py), str(runner), str(report), what, *args], cwd=run, env=test_env)
    _refuse_foreign(report, run, root)
    if result.returncode == _NO_TESTS_COLLECTED:
        return "none", ""
    if result.returncode:
        raise InstallError(
            f"the tests fail against the installed wheel: {summary(result.stdout, result.stderr)}",
            detail=_tails(result.stdout, result.stderr),
        )
    return "passed", venvs.last_line(result.stdout)


def _refuse_foreign(report: Path, run: Path, root: Path) -> None:
    """The tests must have imported the wheel's modules from the venv, not from a file beside them."""
    try:
        foreign: dict[str, str] = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # pytest stopped before the session ended: its own error says why
    if not foreign:
        return
    name, where = sorted(foreign.items())[0]
    path = Path(where)
    shown = root / path.relative_to(run.resolve()) if path.is_relative_to(run.resolve()) else path
    more = f" (and {len(foreign) - 1} more of its modules)" if len(foreign) > 1 else ""
    raise InstallError(
        f"the tests imported {name} from {shown}{more}, not from the installed wheel: "
        f"keep files named like the package out of the test folders, so the wheel is what is tested"
    )


def summary(stdout: str, stderr: str) -> str:
    """pytest's last line with its first failure or error (why collection failed, which test
    failed), and stderr's last line (a conftest that cannot import says so on stderr only)."""
    last = venvs.last_line(stdout) if stdout.strip() else ""
    first = _first_problem(stdout)
    parts = [f"{last}: {first}" if last and first else last]
    if stderr.strip():
        parts.append(f"stderr ends: {venvs.last_line(stderr)}")
    shown = "; ".join(p for p in parts if p)
    return shown or "no output on stdout or stderr"


def _first_problem(stdout: str) -> str:
    """The first `FAILED ...`/`ERROR ...` line of pytest's short summary (where pytest cut it to the
    terminal's width or gave no reason, the node and the first `E   ` line of the reports), and how
    many more."""
    lines = stdout.splitlines()
    problems = [line.strip() for line in lines if line.startswith(("FAILED ", "ERROR "))]
    if not problems:
        return ""
    first = problems[0]
    if first.endswith("...") or " - " not in first:  # cut, or a test module that cannot import
        reason = next((line[1:].strip() for line in lines if line.startswith("E   ")), "")
        if reason:
            first = f"{first.split(' - ', 1)[0]} - {reason}"
    return first + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")


def _tails(stdout: str, stderr: str) -> str:
    out = [f"{name} (last {_TAIL} lines):\n" + "\n".join(text.rstrip().splitlines()[-_TAIL:])
           for name, text in (("stdout", stdout), ("stderr", stderr)) if text.strip()]  # fmt: skip
    return "\n".join(out)


def announce(layout: TestLayout, emit: events.Emit) -> None:
    where = f" with {layout.config}" if layout.config else " with pytest's defaults"
    events.step(emit, f"running {' '.join(layout.paths)}{where} against the installed wheel")
