"""What was tested and verified, by sha256, is not tested or built again (issue 23, point 7).

A setuptools-scm project with a real C extension whose build counts its compilations, and whose
tests count their runs, each in a file outside the tree: a resume after production was down does not
run the test-install again (the same files passed it), and a re-run after `release --tag`, with the
tag now at HEAD, builds nothing (`release --tag` again, or a plain `release`): the kept files every
stage verified are read back, and the index read once to find them still served."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.compiled import SPEED_C
from tests.helpers.faultproxy import FaultProxy, behind, fault_proxy, upstream_port
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, repositories_toml
from tests.helpers.releases import actions, creds

pytestmark = pytest.mark.integration

SETUP_PY = """\
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class counted(build_ext):
    def run(self):
        with open({count!r}, "a") as f:
            f.write("compiled\\n")
        super().run()


setup(ext_modules=[Extension("scmc._speed", ["src/scmc/_speed.c"])], cmdclass={{"build_ext": counted}})
"""

CONFTEST = """\
with open({count!r}, "a") as f:
    f.write("tested\\n")
"""


def scm_c_project(root: Path, counts: Path, tool: str) -> Path:
    """A setuptools-scm project (version from git tags) with a C extension, in its own repository."""
    (root / "src" / "scmc").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68", "setuptools-scm>=8"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "scmc"\ndynamic = ["version"]\ndescription = "A C extension made by the tests"\n'
        f'readme = "README.md"\nrequires-python = ">=3.9"\n\n[tool.setuptools_scm]\n\n{tool}\n'
    )
    (root / "setup.py").write_text(SETUP_PY.format(count=str(counts / "builds.txt")))
    (root / "README.md").write_text("# scmc\n\nA C extension made by the tests.\n")
    (root / ".gitignore").write_text("dist/\nbuild/\n.shipyard/\n*.egg-info/\n__pycache__/\n")
    (root / "src" / "scmc" / "__init__.py").write_text("from scmc._speed import twice\n")
    (root / "src" / "scmc" / "_speed.c").write_text(SPEED_C)
    (root / "tests" / "conftest.py").write_text(CONFTEST.format(count=str(counts / "tests.txt")))
    (root / "tests" / "test_scmc.py").write_text(
        "import scmc\n\n\ndef test_twice():\n    assert scmc.twice(21) == 42\n"
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "scmc")
    return root


def counted(counts: Path, what: str) -> int:
    path = counts / f"{what}.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def production_proxy(fresh_devpi_index: TestIndex) -> Iterator[FaultProxy]:
    with fault_proxy(upstream_port(fresh_devpi_index.upload_url)) as running:
        yield running


def test_a_resume_does_not_run_the_test_install_of_the_same_files_again(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex,
    production_proxy: FaultProxy,
) -> None:  # fmt: skip
    production = behind(fresh_devpi_index, production_proxy)
    tool = '[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
        staging=fresh_pypiserver, production=production
    )
    counts = tmp_path / "counts"
    counts.mkdir()
    root = scm_c_project(tmp_path / "scmc", counts, tool)
    env = {**creds(staging=fresh_pypiserver, production=production), "SHIPYARD_RETRIES": "1"}
    production_proxy.down()
    failed = shipyard("release", "--tag", "v1.0.0", "--json", "-C", str(root), env=env)
    assert failed.code == 1, failed.text
    assert "re-run shipyard release to resume at stage production" in failed.err
    assert (counted(counts, "builds"), counted(counts, "tests")) == (1, 1)
    built = fresh_pypiserver.served_files("scmc")
    assert len(built) == 2 and fresh_devpi_index.served_files("scmc") == {}

    production_proxy.up()
    resumed = shipyard("release", "--tag", "v1.0.0", "--json", "-C", str(root), env=env)
    assert resumed.code == 0, resumed.text
    doc = json.loads(resumed.out)
    assert doc["test_install"]["reused"] is True and doc["test_install"]["tests"] == "passed"
    assert actions(doc) == {"staging": ["skipped", "skipped"], "production": ["uploaded", "uploaded"]}
    assert (counted(counts, "builds"), counted(counts, "tests")) == (1, 1)  # nothing built or tested again
    assert fresh_devpi_index.served_files("scmc") == built
    assert git(root, "tag", "--list") == "v1.0.0\n"

    # other files (a rebuild, here of another version) are tested: the record is by sha256
    (root / "README.md").write_text("# scmc\n\nA C extension made by the tests, and a new line.\n")
    git(root, "commit", "-qam", "docs: a new line")
    nxt = shipyard("release", "--tag", "v1.0.1", "--json", "-C", str(root), env=env)
    assert nxt.code == 0, nxt.text
    assert json.loads(nxt.out)["test_install"].get("reused") is None
    assert (counted(counts, "builds"), counted(counts, "tests")) == (2, 2)


def test_a_rerun_after_release_tag_builds_nothing(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    counts = tmp_path / "counts"
    counts.mkdir()
    root = scm_c_project(tmp_path / "scmc", counts, tool)
    env = creds(staging=fresh_pypiserver)
    first = shipyard("release", "--tag", "v1.0.0", "--json", "-C", str(root), env=env)
    assert first.code == 0, first.text
    built = {d["filename"]: d["sha256"] for d in json.loads(first.out)["dists"]}
    assert any("-cp3" in f for f in built) and fresh_pypiserver.served_files("scmc") == built
    assert (counted(counts, "builds"), counted(counts, "tests")) == (1, 1)
    assert git(root, "tag", "--points-at", "HEAD") == "v1.0.0\n"

    for again in (["--tag", "v1.0.0"], []):  # the CI job re-run as it was, or a plain release at the tag
        run = shipyard("release", *again, "--json", "-C", str(root), env=env)
        assert run.code == 0, (again, run.text)
        doc = json.loads(run.out)
        assert actions(doc) == {"staging": ["skipped", "skipped"]} and doc["stages"][0]["resumed"]
        assert {d["filename"]: d["sha256"] for d in doc["dists"]} == built
        assert (counted(counts, "builds"), counted(counts, "tests")) == (1, 1), again
    assert fresh_pypiserver.served_files("scmc") == built

    # a tree changed since the tag is another source: it is built (and its version is not the tag's)
    (root / "README.md").write_text("# scmc\n\nchanged, not committed\n")
    changed = shipyard("release", "--dry-run", "--allow-dirty", "-C", str(root), env=env)
    assert counted(counts, "builds") == 2, changed.text
