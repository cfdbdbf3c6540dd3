"""Where there is no fcntl (Windows, some embedded Pythons), build, publish and release still work:
the locks come from filelock. Each command runs in a subprocess where `import fcntl` fails (a
sitecustomize puts None in sys.modules), against the local index and a real pypiserver."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex, client_env
from tests.helpers.projects import ShipyardCLI, make_project
from tests.helpers.releases import actions, release_json, staging_project

pytestmark = pytest.mark.integration


@pytest.fixture
def no_fcntl(tmp_path: Path) -> dict[str, str]:
    """The environment of a Python that cannot import fcntl."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        'import sys\n\nsys.modules["fcntl"] = None  # as where there is none\n'
    )
    path = os.pathsep.join(p for p in (str(shim), os.environ.get("PYTHONPATH", "")) if p)
    env = {"PYTHONPATH": path}
    probe = subprocess.run(
        [sys.executable, "-c", "import fcntl"], env={**client_env(), **env}, capture_output=True, text=True
    )
    assert probe.returncode == 1 and "import of fcntl halted" in probe.stderr  # the shim works
    return env


def test_build_and_release_to_the_local_index_without_fcntl(
    shipyard: ShipyardCLI, tmp_path: Path, no_fcntl: dict[str, str]
) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    built = shipyard("build", "-C", str(root), env=no_fcntl)
    assert built.code == 0, built.text
    assert "fcntl" not in built.text and "soft file lock" not in built.text
    doc = release_json(shipyard, root, no_fcntl, "--no-test-install")
    assert actions(doc) == {"local": ["uploaded", "uploaded"]}
    assert not (root / ".git" / "shipyard.lock").exists()  # the O_EXCL lock file goes on release
    assert sorted(p.name for p in (root / ".shipyard" / "index" / "simple" / "tiny-pkg").iterdir())


def test_publish_and_release_to_a_server_without_fcntl(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, no_fcntl: dict[str, str]
) -> None:
    root, env = staging_project(tmp_path, fresh_pypiserver)
    env |= no_fcntl
    assert shipyard("build", "-C", str(root), env=env).code == 0
    published = shipyard("publish", "-C", str(root), env=env)
    assert published.code == 0, published.text
    assert len(fresh_pypiserver.served_files("tiny-pkg")) == 2
    doc = release_json(shipyard, root, env, "--no-test-install")
    assert actions(doc) == {"staging": ["skipped", "skipped"]}
    assert doc["stages"][0]["verified"]  # type: ignore[index]


def test_the_lock_file_lock_keeps_its_behaviour_without_fcntl(
    tmp_path: Path, no_fcntl: dict[str, str]
) -> None:
    code = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from shipyard.tools.lock import NATIVE, Busy, hold
        assert not NATIVE
        root = Path(sys.argv[1])
        with hold(root, "build", timeout=0):
            assert (root / ".shipyard" / "lock").read_text() == f"{os.getpid()} build\\n{root.resolve()}\\n"
            try:
                with hold(root, "release", timeout=0.2):
                    raise SystemExit("locked twice")
            except Busy as exc:
                print(exc.message)
        print(sorted(os.listdir(root)))
        """
    )
    (tmp_path / "tree").mkdir()
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "tree")],
        env={**client_env(), **no_fcntl},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    busy, left = run.stdout.splitlines()
    assert busy.startswith("shipyard build (pid ") and "is working in" in busy and "--wait" in busy
    assert left == "[]"
