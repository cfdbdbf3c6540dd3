"""A project with extension modules (issue 15.10): the GitHub workflow builds its wheels with
cibuildwheel on Linux, macOS and Windows, collects them with the sdist into one artifact, and every
release job runs `shipyard release --dists dist/` on those files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.ci.generate import providers as generate
from shipyard.ci.generate.compiled import is_compiled
from shipyard.ci.generate.pins import ACTIONS
from shipyard.config import read_pyproject
from tests.helpers.pipelines import SINGLE_TOOL, make_compiled
from tests.helpers.projects import command_env, git, make_project


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_compiled(tmp_path_factory)


def jobs_of(root: Path) -> Any:
    [made] = generate.pipelines(root, ["github"], None)
    return yaml.safe_load(made.text)["jobs"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": "[tool.cibuildwheel]\nbuild = 'cp3*'\n"}, True),
        ({"pyproject.toml": "[build-system]\nbuild-backend = 'scikit_build_core.build'\n"}, True),
        ({"pyproject.toml": "[build-system]\nbuild-backend = 'mesonpy'\n"}, True),
        ({"pyproject.toml": "[build-system]\nbuild-backend = 'maturin'\n"}, True),
        (
            {
                "pyproject.toml": "[build-system]\nbuild-backend = 'setuptools.build_meta'\n",
                "setup.py": "from setuptools import Extension, setup\n"
                "setup(ext_modules=[Extension('fast', ['fast.c'])])\n",
            },
            True,
        ),
        ({"pyproject.toml": "[build-system]\nbuild-backend = 'hatchling.build'\n"}, False),
        ({"pyproject.toml": "", "setup.py": "from setuptools import setup\nsetup()\n"}, False),
    ],
)
def test_extension_modules_are_detected(files: dict[str, str], expected: bool, tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert is_compiled(tmp_path, read_pyproject(tmp_path)) is expected


def test_wheels_come_from_a_cibuildwheel_matrix_into_one_artifact(compiled: Path) -> None:
    jobs = jobs_of(compiled)
    wheels = jobs["wheels"]
    assert wheels["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    assert wheels["runs-on"] == "${{ matrix.os }}"
    assert "test" in wheels["needs"] and "id-token" not in wheels["permissions"]
    commit, _ = ACTIONS["pypa/cibuildwheel"]
    uses = [s.get("uses", "") for s in wheels["steps"]]
    assert f"pypa/cibuildwheel@{commit}" in uses
    [upload] = [s for s in wheels["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["name"] == "wheels-${{ matrix.os }}"
    build = jobs["build"]
    assert build["needs"] == ["wheels"]
    [collect] = [s for s in build["steps"] if s.get("with", {}).get("pattern") == "wheels-*"]
    assert collect["with"] == {"pattern": "wheels-*", "merge-multiple": True, "path": "dist/"}
    runs = [s.get("run", "") for s in build["steps"]]
    assert any("shipyard release --dists dist/" in r and "--stages local --dry-run" in r for r in runs)
    assert runs.index(next(r for r in runs if "shipyard build" in r)) < runs.index(
        next(r for r in runs if "--dists" in r)
    )
    for stage in ("testpypi", "pypi"):
        job = jobs[f"publish-{stage}"]
        runs = [s.get("run", "") for s in job["steps"]]
        [release] = [r for r in runs if "shipyard" in r and "pip" not in r]
        assert f'shipyard release --dists dist/ "$@" --stages {stage} --no-test-install' in release
        assert not any("shipyard publish" in r or "shipyard build" in r for r in runs)


def test_a_pure_project_keeps_one_build_job(tmp_path: Path) -> None:
    jobs = jobs_of(make_project(tmp_path / "p", tool=SINGLE_TOOL))
    assert "wheels" not in jobs
    assert not any("--dists" in s.get("run", "") for j in jobs.values() for s in j.get("steps", []))


def test_the_build_job_steps_run_for_real_on_the_matrix_output(compiled: Path, tmp_path: Path) -> None:
    """The build job's own shell steps, run here: the sdist step, then `release --dists` over the
    sdist and a wheel (a local build standing in for the matrix's wheels, which need docker and
    three operating systems) checks and test-installs those very files, building nothing."""
    root = tmp_path / "proj"
    subprocess.run(["git", "clone", "-q", str(compiled), str(root)], check=True)
    git(root, "tag", "v1.0.0")
    build = jobs_of(root)["build"]
    steps = [s for s in build["steps"] if "run" in s and "shipyard" in s["run"] and "pip" not in s["run"]]
    sdist, release = steps
    env = command_env(tmp_path)
    env.update(
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        RUNNER_TEMP=str(tmp_path / "runner-temp"),
        REF_TYPE="tag",
        REF_NAME="v1.0.0",
    )

    def bash(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=600
        )

    made = bash(sdist["run"])
    assert made.returncode == 0, made.stdout + made.stderr
    assert [p.name for p in (root / "dist").iterdir()] == ["fast_pkg-1.0.0.tar.gz"]
    wheel = next((tmp_path / "runner-temp" / "built").glob("*.whl"))
    (root / "dist" / wheel.name).write_bytes(wheel.read_bytes())  # what download-artifact collects
    done = bash(release["run"])
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "==> checking 2 files" in out and "2 files pass the checks" in out
    assert f"test-installing {wheel.name} in a fresh venv" in out
    assert "tests pass against the installed wheel" in out
    assert f"would upload {wheel.name} to local" in out and "would upload fast_pkg-1.0.0.tar.gz" in out
    assert "building" not in out.lower(), "release --dists must not build again"
