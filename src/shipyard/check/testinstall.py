"""Install the built wheel in a fresh virtual environment and prove it works there: every importable
package imports, and the project's tests pass against the installed wheel, not the source tree, run
as its developers run them (their pytest configuration, their test requirements, the venv's tools
first on PATH)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipyard import events
from shipyard.check import testlayout, testreqs
from shipyard.check.testlayout import TestLayout
from shipyard.check.testreqs import TestRequirements
from shipyard.config import read_pyproject
from shipyard.dists import Dist, wheel_top_level
from shipyard.errors import InstallError, UsageError
from shipyard.tools import venvs
from shipyard.tools.procenv import child_env

_NO_TESTS_COLLECTED = 5
_TAIL = 40  # lines of each stream kept for --verbose when the tests fail


@dataclass(frozen=True)
class TestInstall:
    wheel: str
    imported: tuple[str, ...]
    tests: str  # "passed", "none" (no tests found, or run with --no-tests)
    requirements: TestRequirements | None = None
    layout: TestLayout = field(default_factory=TestLayout)

    def as_json(self) -> dict[str, object]:
        return {
            "wheel": self.wheel,
            "imported": list(self.imported),
            "tests": self.tests,
            "test_requirements": self.requirements.as_json() if self.requirements else None,
            **self.layout.as_json(),
        }


def test_install(
    dists: list[Dist],
    root: Path,
    *,
    python: str,
    deps: bool = True,
    run_tests: bool = True,
    local_wheels: Sequence[Path] = (),
    group: str = "",
    emit: events.Emit = events.ignore,
) -> TestInstall:
    """Install the wheel (with `local_wheels`: packages of the same repository it needs) in a fresh
    venv, import it, and run the tests under `root` against it (`group`: the test-group option)."""
    wheels = [d for d in dists if d.kind == "wheel"]
    if not wheels:
        raise UsageError("the build made no wheel to test-install")
    wheel = wheels[0]
    # read before any venv is made: a bad [dependency-groups] or pytest config is a usage error
    names = wheel_top_level(wheel)
    layout = testlayout.find(root, {n.split(".")[0] for n in names}) if run_tests else TestLayout()
    reqs = _requirements(root, wheel, group) if layout.paths else None
    env = child_env(drop_prefixes=("PIP_",))
    with tempfile.TemporaryDirectory(prefix="shipyard-test-install-") as tmp:
        work = Path(tmp)
        events.step(emit, f"test-installing {wheel.filename} in a fresh venv")
        py = venvs.create(work / "venv", python)
        args = [str(wheel.path), *map(str, local_wheels), *([] if deps else ["--no-deps"])]
        venvs.install(py, args, what=wheel.filename, env=env)
        venvs.import_all(py, names, work)
        events.info(emit, f"imported {', '.join(names)} from the installed wheel")
        result = TestInstall(wheel.filename, tuple(names), "none", reqs, layout)
        if not run_tests:
            return result
        if layout.left_out:
            events.warning(
                emit, f"left out of the test run: {' '.join(layout.left_out)} (the package's sources)"
            )
        if reqs is None:
            events.warning(emit, f"no tests run: {layout.missing}")
            return result
        events.info(emit, f"test requirements from {reqs.source}: {_shown(reqs)}")
        venvs.install(py, reqs.install_args(wheel.path, root), what="the test requirements", env=env)
        tests = _run_tests(py, root, layout, work, env, emit)
        if tests == "none":
            layout = dataclasses.replace(layout, missing="pytest collected no tests")
            events.warning(emit, f"no tests run: pytest collected none from {' '.join(layout.paths)}")
        return TestInstall(wheel.filename, tuple(names), tests, reqs, layout)


def _requirements(root: Path, wheel: Dist, group: str) -> TestRequirements:
    pyproject = read_pyproject(root) if (root / "pyproject.toml").is_file() else {}
    return testreqs.find(pyproject, root, wheel.metadata.provides_extra or [], group)


def _shown(reqs: TestRequirements) -> str:
    added = [] if reqs.names_pytest else ["pytest"]
    wheel = [f"the wheel[{','.join(reqs.extras)}]"] if reqs.extras else []
    return ", ".join([*added, *wheel, *reqs.requirements, *(f"-r {f}" for f in reqs.files)])


def _run_tests(
    py: Path, root: Path, layout: TestLayout, work: Path, env: dict[str, str], emit: events.Emit
) -> str:
    where = f" with {layout.config}" if layout.config else ""
    events.step(emit, f"running {' '.join(layout.paths)}{where} against the installed wheel")
    run = work / "run"
    copies = layout.copy_to(root, run)
    # the project's config decides the import mode; without one, importlib keeps run/ off sys.path
    config = ["-c", str(run / layout.config)] if layout.config else ["--import-mode=importlib"]
    bin_dir = py.parent  # console scripts and tools the tests call (shutil.which) are the venv's
    test_env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    test_env |= {
        "PATH": os.pathsep.join([str(bin_dir), env.get("PATH", "")]),
        "VIRTUAL_ENV": str(bin_dir.parent),
    }
    result = venvs.run(
        [
            str(py),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(run),
            *config,
            *map(str, copies),
        ],
        cwd=run,
        env=test_env,
    )
    if result.returncode == _NO_TESTS_COLLECTED:
        return "none"
    if result.returncode:
        raise InstallError(
            f"the tests fail against the installed wheel: {_summary(result.stdout, result.stderr)}",
            detail=_tails(result.stdout, result.stderr),
        )
    events.info(emit, f"tests pass against the installed wheel: {venvs.last_line(result.stdout)}")
    return "passed"


def _summary(stdout: str, stderr: str) -> str:
    """pytest's last line, and stderr's (a conftest that cannot import says so on stderr only)."""
    parts = [venvs.last_line(s) for s in (stdout, stderr) if s.strip()]
    if len(parts) == 2:
        return f"{parts[0]}; stderr ends: {parts[1]}"
    return parts[0] if parts else "no output on stdout or stderr"


def _tails(stdout: str, stderr: str) -> str:
    out = [f"{name} (last {_TAIL} lines):\n" + "\n".join(text.rstrip().splitlines()[-_TAIL:])
           for name, text in (("stdout", stdout), ("stderr", stderr)) if text.strip()]  # fmt: skip
    return "\n".join(out)
