"""A release is built once: a compiled project (a real C extension, whose wheel is not
byte-reproducible) released twice and resumed after production was down, against pypiserver
(staging) and devpi (production); `release --dists` for files built elsewhere."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.compiled import SPEED_C
from tests.helpers.faultproxy import FaultProxy, behind, fault_proxy, tally, upstream_port
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, repositories_toml
from tests.helpers.releases import actions, creds, release_json

pytestmark = pytest.mark.integration

SETUP_PY = """\
from setuptools import Extension, setup

setup(ext_modules=[Extension("cpkg._speed", ["src/cpkg/_speed.c"])])
"""


def c_project(root: Path, tool: str) -> Path:
    """A small real setuptools project with a C extension module, in its own git repository."""
    (root / "src" / "cpkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "cpkg"\nversion = "1.0.0"\ndescription = "A C extension made by the tests"\n'
        f'readme = "README.md"\nrequires-python = ">=3.9"\n\n{tool}\n'
    )
    (root / "setup.py").write_text(SETUP_PY)
    (root / "README.md").write_text("# cpkg\n\nA C extension made by the tests.\n")
    (root / ".gitignore").write_text("dist/\nbuild/\n.shipyard/\n*.egg-info/\n__pycache__/\n")
    (root / "src" / "cpkg" / "__init__.py").write_text("from cpkg._speed import twice\n")
    (root / "src" / "cpkg" / "_speed.c").write_text(SPEED_C)
    (root / "tests").mkdir()
    (root / "tests" / "test_cpkg.py").write_text(
        "import cpkg\n\n\ndef test_twice():\n    assert cpkg.twice(21) == 42\n"
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "cpkg 1.0.0")
    return root


@pytest.fixture
def production_proxy(fresh_devpi_index: TestIndex) -> Iterator[FaultProxy]:
    with fault_proxy(upstream_port(fresh_devpi_index.upload_url)) as running:
        yield running


@pytest.fixture
def staged(
    tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex, production_proxy: FaultProxy
) -> tuple[Path, dict[str, str]]:
    """The C project, staging on pypiserver, production on devpi behind a proxy that can go down."""
    production = behind(fresh_devpi_index, production_proxy)
    tool = '[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, production=production
    )
    root = c_project(tmp_path / "cpkg", tool)
    env = {**creds(staging=fresh_pypiserver, production=production), "SHIPYARD_RETRIES": "1"}
    return root, env


def served(index: TestIndex) -> dict[str, str]:
    return index.served_files("cpkg")


def test_compiled_release_run_twice_reuses_its_files(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_pypiserver: TestIndex,
    fresh_devpi_index: TestIndex, production_proxy: FaultProxy,
) -> None:  # fmt: skip
    root, env = staged
    first = release_json(shipyard, root, env)
    assert actions(first) == {"staging": ["uploaded", "uploaded"], "production": ["uploaded", "uploaded"]}
    built = {d["filename"]: d["sha256"] for d in first["dists"]}  # type: ignore[attr-defined]
    wheel = next(f for f in built if f.endswith(".whl"))
    assert "-cp3" in wheel and "none-any" not in wheel  # a compiled wheel
    assert first["test_install"]["tests"] == "passed"  # type: ignore[index]
    assert served(fresh_pypiserver) == served(fresh_devpi_index) == built

    reads = production_proxy.faults.forwarded["GET"]
    again = release_json(shipyard, root, env)
    assert production_proxy.faults.forwarded["GET"] - reads == 1  # one listing read; no install, no wait
    assert actions(again) == {"staging": ["skipped", "skipped"], "production": ["skipped", "skipped"]}
    assert all(s["resumed"] for s in again["stages"])  # type: ignore[attr-defined]
    assert {d["filename"]: d["sha256"] for d in again["dists"]} == built  # type: ignore[attr-defined]
    told = shipyard("release", "-C", str(root), env=env)
    assert told.code == 0, told.text
    assert "reusing the files built from this source before" in told.text and "building" not in told.text
    assert served(fresh_pypiserver) == served(fresh_devpi_index) == built

    # what the kept files spare: a rebuild of this C extension gives another wheel, which the index refuses
    shutil.rmtree(root / ".shipyard" / "artifacts")
    rebuilt = shipyard("release", "--no-test-install", "-C", str(root), env=env)
    assert rebuilt.code == 2, rebuilt.text
    assert rebuilt.err.strip().splitlines()[-1].startswith(f"error: staging already has {wheel} with sha256")
    assert served(fresh_pypiserver) == served(fresh_devpi_index) == built


def test_resume_after_production_was_down_uploads_production_only_same_bytes(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_pypiserver: TestIndex,
    fresh_devpi_index: TestIndex, production_proxy: FaultProxy,
) -> None:  # fmt: skip
    root, env = staged
    production_proxy.down()
    failed = shipyard("release", "--json", "-C", str(root), env=env)
    assert failed.code == 1, failed.text
    assert (
        "staging is released and verified, re-run shipyard release to resume at stage production"
        in failed.err
    )
    tally("connection refused", 1)  # reading production, retries=1
    built = served(fresh_pypiserver)
    assert len(built) == 2 and served(fresh_devpi_index) == {}

    production_proxy.up()
    resumed = shipyard("release", "-C", str(root), env=env)
    assert resumed.code == 0, resumed.text
    assert "reusing the files built from this source before" in resumed.text
    assert "building" not in resumed.text
    assert "released cpkg 1.0.0 to staging (already there) -> production" in resumed.text
    assert production_proxy.faults.forwarded["POST"] == 2  # the two files, once each
    assert served(fresh_devpi_index) == served(fresh_pypiserver) == built


def test_release_dists_publishes_files_built_elsewhere(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], tmp_path: Path, fresh_pypiserver: TestIndex,
    fresh_devpi_index: TestIndex,
) -> None:  # fmt: skip
    root, env = staged
    wheelhouse = tmp_path / "wheelhouse"  # what a CI matrix hands over: files, no manifest
    assert shipyard("build", str(root), env=env).code == 0
    wheelhouse.mkdir()
    for made in (root / "dist").glob("cpkg-*"):
        shutil.copy(made, wheelhouse)
    shutil.rmtree(root / "dist")
    built = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in wheelhouse.iterdir()}

    doc = release_json(shipyard, root, env, "--dists", str(wheelhouse))
    assert actions(doc) == {"staging": ["uploaded", "uploaded"], "production": ["uploaded", "uploaded"]}
    assert doc["test_install"]["tests"] == "passed"  # type: ignore[index]
    assert served(fresh_pypiserver) == served(fresh_devpi_index) == built
    assert not (root / "dist").exists() and not (root / ".shipyard" / "artifacts").exists()  # nothing built

    again = release_json(shipyard, root, env, "--dists", str(wheelhouse))
    assert actions(again) == {"staging": ["skipped", "skipped"], "production": ["skipped", "skipped"]}


def test_release_dists_refuses_files_that_are_not_this_release(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    root, env = staged
    assert shipyard("build", str(root), env=env).code == 0
    sdist = root / "dist" / "cpkg-1.0.0.tar.gz"
    cases = {
        "other-version": (["cpkg-1.0.1.tar.gz"], "holds cpkg 1.0.1, but this release is 1.0.0"),
        "two-versions": (
            ["cpkg-1.0.0.tar.gz", "cpkg-1.0.1.tar.gz"],
            "the files must be one release of one project, found: cpkg 1.0.0, cpkg 1.0.1",
        ),
        "other-project": (["other-1.0.0.tar.gz"], "holds files of other, but this project is cpkg"),
        "empty": ([], "holds no wheel (.whl) or sdist (.tar.gz)"),
    }
    for case, (names, message) in cases.items():
        folder = tmp_path / case
        folder.mkdir()
        for name in names:
            shutil.copy(sdist, folder / name)
        run = shipyard("release", "--no-test-install", "--dists", str(folder), "-C", str(root), env=env)
        assert run.code == 2, (case, run.text)
        assert run.err.startswith("error: ") and message in run.err, (case, run.err)
        assert "Traceback" not in run.text
    bump = shipyard("release", "--bump", "--dists", str(root / "dist"), "-C", str(root), env=env)
    assert bump.code == 2 and "not --bump" in bump.err, bump.text
    missing = shipyard("release", "--dists", str(tmp_path / "nowhere"), "-C", str(root), env=env)
    assert missing.code == 2 and "no such folder" in missing.err, missing.text
    assert served(fresh_pypiserver) == {}


def test_bump_resumed_after_production_was_down_reuses_the_files_then_records(
    shipyard: ShipyardCLI, staged: tuple[Path, dict[str, str]], fresh_pypiserver: TestIndex,
    fresh_devpi_index: TestIndex, production_proxy: FaultProxy,
) -> None:  # fmt: skip
    root, env = staged
    git(root, "tag", "v1.0.0")
    (root / "src" / "cpkg" / "extra.py").write_text("THREE = 3\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "feat: a third constant")
    production_proxy.down()
    failed = shipyard("release", "--bump", "-C", str(root), env=env)
    assert failed.code == 1, failed.text
    tally("connection refused", 1)
    assert "v1.1.0" not in git(root, "tag")  # nothing recorded before every stage verified
    built = served(fresh_pypiserver)
    assert sorted(built)[0].startswith("cpkg-1.1.0-cp3")

    production_proxy.up()
    resumed = shipyard("release", "--bump", "-C", str(root), env=env)
    assert resumed.code == 0, resumed.text
    assert (
        "reusing the files built from this source before" in resumed.text and "building" not in resumed.text
    )
    assert served(fresh_devpi_index) == served(fresh_pypiserver) == built
    assert "v1.1.0" in git(root, "tag").split()
    assert 'version = "1.1.0"' in (root / "pyproject.toml").read_text()
