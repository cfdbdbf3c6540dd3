"""Install the built wheel in a fresh virtual environment and prove it works there: every top-level
package imports, and the project's tests pass against the installed wheel, not the source tree."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard import events
from shipyard.dists import Dist, wheel_top_level
from shipyard.errors import InstallError, UsageError
from shipyard.tools import venvs
from shipyard.tools.procenv import child_env

_TEST_DIRS = ("tests", "test")
_NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class TestInstall:
    wheel: str
    imported: tuple[str, ...]
    tests: str  # "passed", "none" (no tests found)

    def as_json(self) -> dict[str, object]:
        return {"wheel": self.wheel, "imported": list(self.imported), "tests": self.tests}


def find_tests(root: Path) -> Path | None:
    for name in _TEST_DIRS:
        folder = root / name
        if folder.is_dir() and (any(folder.rglob("test_*.py")) or any(folder.rglob("*_test.py"))):
            return folder
    return None


def _test_extras(wheel: Dist) -> list[str]:
    return [e for e in wheel.metadata.provides_extra or [] if e in ("test", "tests", "testing")]


def test_install(
    dists: list[Dist],
    root: Path,
    *,
    python: str,
    deps: bool = True,
    run_tests: bool = True,
    local_wheels: Sequence[Path] = (),
    emit: events.Emit = events.ignore,
) -> TestInstall:
    """Install the wheel (with `local_wheels`: packages of the same repository it needs) in a fresh
    venv, import it, and run the tests under `root` against it."""
    wheels = [d for d in dists if d.kind == "wheel"]
    if not wheels:
        raise UsageError("the build made no wheel to test-install")
    wheel = wheels[0]
    env = child_env(drop_prefixes=("PIP_",))
    with tempfile.TemporaryDirectory(prefix="shipyard-test-install-") as tmp:
        work = Path(tmp)
        events.step(emit, f"test-installing {wheel.filename} in a fresh venv")
        py = venvs.create(work / "venv", python)
        args = [str(wheel.path), *map(str, local_wheels), *([] if deps else ["--no-deps"])]
        venvs.install(py, args, what=wheel.filename, env=env)
        names = wheel_top_level(wheel)
        venvs.import_all(py, names, work)
        events.info(emit, f"imported {', '.join(names)} from the installed wheel")
        tests = find_tests(root) if run_tests else None
        if tests is None:
            return TestInstall(wheel.filename, tuple(names), "none")
        return TestInstall(wheel.filename, tuple(names), _run_tests(py, wheel, tests, work, env, emit))


def _run_tests(py: Path, wheel: Dist, tests: Path, work: Path, env: dict[str, str], emit: events.Emit) -> str:
    events.step(emit, f"running {tests.name}/ against the installed wheel")
    extras = _test_extras(wheel)
    target = f"{wheel.path}[{','.join(extras)}]" if extras else str(wheel.path)
    venvs.install(py, ["pytest", target], what="the test requirements", env=env)
    copy = work / "run" / tests.name
    shutil.copytree(tests, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    result = venvs.run(
        [
            str(py),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--rootdir",
            str(copy.parent),
            str(copy),
        ],
        cwd=copy.parent,
        env=env,
    )
    if result.returncode == _NO_TESTS_COLLECTED:
        return "none"
    if result.returncode:
        raise InstallError(
            f"the tests fail against the installed wheel: {venvs.last_line(result.stdout)}",
            detail=result.stdout + result.stderr,
        )
    events.info(emit, f"tests pass against the installed wheel: {venvs.last_line(result.stdout)}")
    return "passed"
