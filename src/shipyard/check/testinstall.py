"""Install the built wheel in a fresh virtual environment and prove it works there: every importable
package imports, and the project's tests pass against the installed wheel, not the source tree, run
as its developers run them (their pytest configuration, their test requirements, the venv's tools
first on PATH)."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipyard import events
from shipyard.check import testlayout, testlocks, testreqs, testrun
from shipyard.check.testlayout import TestLayout
from shipyard.check.testreqs import TestRequirements
from shipyard.config import read_pyproject
from shipyard.dists import Dist, parse_filename, wheel_top_level
from shipyard.errors import UsageError
from shipyard.tools import bytecode, venvs, workdirs
from shipyard.tools.procenv import child_env


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
    requirements_file: Path | None = None,
    emit: events.Emit = events.ignore,
) -> TestInstall:
    """Install the wheel (with `local_wheels`: packages of the same repository it needs) in a fresh
    venv, import it, and run the tests under `root` against it (`group`, `requirements_file`: the
    test-group and test-requirements-file options)."""
    wheels = [d for d in dists if d.kind == "wheel"]
    if not wheels:
        raise UsageError("the build made no wheel to test-install")
    wheel = wheels[0]
    # read before any venv is made: a bad [dependency-groups] or pytest config is a usage error
    names = wheel_top_level(wheel)
    layout = testlayout.find(root, {n.split(".")[0] for n in names}) if run_tests else TestLayout()
    reqs = _requirements(root, wheel, group, requirements_file) if layout.paths else None
    lock = testlocks.find(root, skip=[wheel.metadata.name]) if reqs else testlocks.Lock()
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
        reqs = _pinned(reqs, lock, root, wheel, py)
        events.info(emit, f"test requirements from {reqs.source}: {_shown(reqs)}")
        constraints = work / "locked.txt"
        constraints.write_text("".join(f"{p}\n" for p in reqs.pins))
        args = reqs.install_args(wheel.path, root, constraints if reqs.pins else None)
        venvs.install(py, args, what="the test requirements", env=env)
        testrun.announce(layout, emit)
        with _compiled(work / "venv", env, [wheel.name, *(parse_filename(p.name)[1] for p in local_wheels)]):
            tests, last = testrun.run_tests(py, root, layout, names, work, env)
        if tests == "passed":
            events.info(emit, f"tests pass against the installed wheel: {last}")
        if tests == "none":
            layout = dataclasses.replace(layout, missing="pytest collected no tests")
            events.warning(emit, f"no tests run: pytest collected none from {' '.join(layout.paths)}")
        return TestInstall(wheel.filename, tuple(names), tests, reqs, layout)


def _pinned(
    reqs: TestRequirements, lock: testlocks.Lock, root: Path, wheel: Dist, py: Path
) -> TestRequirements:
    """The test requirements with the versions the project's lock pins for them in this venv."""
    requires = wheel.metadata.requires_dist or []
    # the venv's marker values only for a lock to pin from (one interpreter start a package)
    markers = venvs.marker_environment(py) if lock.packages else {}
    pins = lock.pins(reqs.named(root, requires), markers)
    return dataclasses.replace(reqs, lock=lock.file if pins else "", pins=pins)


@contextlib.contextmanager
def _compiled(venv: Path, env: Mapping[str, str], ours: Sequence[str]) -> Iterator[None]:
    """The test run with pytest and the test dependencies as an earlier run compiled them, keeping
    what this one compiles (failed tests compiled them all the same); never the packages in `ours`."""
    prefix = env.get("PYTHONPYCACHEPREFIX")  # where the test run's Python keeps bytecode, if set
    compiled = bytecode.Kept(workdirs.cache_dir() / "bytecode", venv, ours, prefix)
    compiled.place()
    try:
        yield
    finally:
        compiled.keep()


def _requirements(root: Path, wheel: Dist, group: str, file: Path | None) -> TestRequirements:
    pyproject = read_pyproject(root) if (root / "pyproject.toml").is_file() else {}
    return testreqs.find(pyproject, root, wheel.metadata.provides_extra or [], group, file)


def _shown(reqs: TestRequirements) -> str:
    added = [] if reqs.names_pytest else ["pytest"]
    wheel = [f"the wheel[{','.join(reqs.extras)}]"] if reqs.extras else []
    shown = ", ".join(dict.fromkeys([*added, *wheel, *reqs.requirements, *(f"-r {f}" for f in reqs.files)]))
    return f"{shown}; versions from {reqs.lock}: {', '.join(reqs.pins)}" if reqs.pins else shown
