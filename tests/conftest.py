"""Shared fixtures: real index servers (tests.indexes), real git projects, the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.helpers")

from tests.helpers.projects import Run, ShipyardCLI, command_env  # noqa: E402

pytest_plugins = ["tests.helpers.indexes", "tests.helpers.faultproxy", "tests.helpers.realsdists"]


@pytest.fixture(scope="session", autouse=True)
def _shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One build-env cache for the whole run (isolated from the user's), warm after the first build."""
    old = os.environ.get("SHIPYARD_CACHE_DIR")
    os.environ["SHIPYARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("shipyard-cache"))
    yield
    if old is None:
        os.environ.pop("SHIPYARD_CACHE_DIR", None)
    else:
        os.environ["SHIPYARD_CACHE_DIR"] = old


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty HOME: no ~/.pypirc, no user config reaches the command under test."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def shipyard(home: Path) -> ShipyardCLI:
    """Run the real `shipyard` command (python -m shipyard) with a controlled environment."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        wrap: Callable[[list[str]], list[str]] | None = None,
        timeout: float = 600,
    ) -> Run:
        """`wrap`: the command line made into another (tests.helpers.confined: a full disk...);
        `timeout`: a hang fails the test (raises) rather than holding the suite."""
        full = command_env(home)
        full.update(SHIPYARD_RETRY_DELAY="0.05")  # transient faults retried fast (tests may override)
        full.update(env or {})
        cmd = [sys.executable, "-m", "shipyard", *args]
        proc = subprocess.run(
            wrap(cmd) if wrap else cmd,
            env=full,
            cwd=cwd,
            stdin=subprocess.DEVNULL,  # no terminal: a missing credential fails at once, never prompts
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run
