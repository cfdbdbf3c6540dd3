"""Never a lower version than the index has: refused before any upload (exit 2, naming both), unless
--allow-lower; plan says what the first stage serves. Against a real pypiserver holding a higher one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml, set_version
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration


def test_a_lower_version_than_the_index_serves_is_refused_unless_allowed(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    env = creds(staging=fresh_pypiserver)
    ahead = make_project(tmp_path / "ahead", version="2.0.0", tool=tool, with_tests=False)
    assert shipyard("release", "-C", str(ahead), "--no-test-install", env=env).code == 0
    served = fresh_pypiserver.served_files("tiny-pkg")
    assert set(served) == {"tiny_pkg-2.0.0.tar.gz", "tiny_pkg-2.0.0-py3-none-any.whl"}

    backport = make_project(tmp_path / "backport", version="1.5.0", tool=tool, with_tests=False)
    plan = shipyard("plan", "-C", str(backport), env=env)
    assert plan.code == 0, plan.text
    assert "  staging serves: 2.0.0\n" in plan.out
    assert "1.5.0 is lower: release refuses it unless --allow-lower" in plan.out
    doc = json.loads(shipyard("plan", "--json", "-C", str(backport), env=env).out)
    assert doc["packages"][0]["index"] == {"repository": "staging", "highest": "2.0.0", "readable": True}

    refused = shipyard("release", "-C", str(backport), "--no-test-install", env=env)
    assert refused.code == 2, refused.text
    assert refused.err.strip().splitlines()[-1] == (
        "error: tiny-pkg 1.5.0 is lower than 2.0.0, which staging already serves: release a higher version, "
        "or pass --allow-lower (allow-lower = true) for a backport on a maintenance line"
    )
    assert "Traceback" not in refused.err
    assert fresh_pypiserver.served_files("tiny-pkg") == served, "nothing was uploaded"
    assert "building" not in refused.out and not (backport / "dist").exists(), "known before the build"

    # publish on its own refuses it too
    assert shipyard("build", str(backport)).code == 0
    alone = shipyard("publish", "--to", "staging", "-C", str(backport), env=env)
    assert alone.code == 2 and "is lower than 2.0.0" in alone.err
    assert fresh_pypiserver.served_files("tiny-pkg") == served

    allowed = shipyard("release", "-C", str(backport), "--no-test-install", "--allow-lower", env=env)
    assert allowed.code == 0, allowed.text
    assert "tiny-pkg 1.5.0 is lower than 2.0.0, which staging serves (--allow-lower)" in allowed.err
    assert "tiny_pkg-1.5.0.tar.gz" in fresh_pypiserver.served_files("tiny-pkg")

    # the same version as the index's highest is a re-run, not a lower one
    again = shipyard("release", "-C", str(ahead), "--no-test-install", env=env)
    assert again.code == 0, again.text


def test_allow_lower_is_an_option_of_the_project_too(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", version="3.0.0", with_tests=False)
    assert shipyard("release", "-C", str(root), "--no-test-install").code == 0
    set_version(root, "3.0.0", "2.9.1")
    pyproject = root / "pyproject.toml"
    refused = shipyard("release", "-C", str(root), "--no-test-install")
    assert (
        refused.code == 2 and "tiny-pkg 2.9.1 is lower than 3.0.0, which local already serves" in refused.err
    )
    pyproject.write_text(pyproject.read_text() + "\n[tool.shipyard]\nallow-lower = true\n")
    git(root, "commit", "-qam", "a backport")
    assert shipyard("release", "-C", str(root), "--no-test-install").code == 0


def test_a_packaging_repository_never_releases_below_what_the_index_serves(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    """The paa case: a package already on the index at 9.0.0 by another route must not be released
    as 0.1.0, not even in a dry run (the guard is the one both release kinds share)."""
    repo = example_repo(tmp_path)
    index = repo / ".shipyard" / "index"
    elsewhere = make_project(
        tmp_path / "elsewhere",
        name="greetings",
        version="9.0.0",
        with_tests=False,
        tool=f'[tool.shipyard]\nlocal-index = "{index}"\n',
    )
    assert shipyard("release", "-C", str(elsewhere), "--no-test-install").code == 0
    status = shipyard("status", "--json", "-C", str(repo))
    assert status.code == 0, status.text
    assert "9.0.0" in status.out
    dry = shipyard("release", "--dry-run", "-C", str(repo))
    assert dry.code == 2, dry.text
    assert "greetings 0.1.0 is lower than 9.0.0, which local already serves" in dry.err
    assert not any(p.name.startswith("greetings-0.1.0") for p in (index / "simple" / "greetings").iterdir())
