"""paa's conventions piece by piece: .paa.config defaults, tag names, hints across files, exclusion,
relative imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.assemble import layout, paa
from shipyard.assemble.imports import RequirementError
from shipyard.assemble.needs import collect
from shipyard.errors import ConfigError
from shipyard.plan.versions import TagPattern, released_by_package


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_paa_config_without_path_keys_means_paa_defaults(tmp_path: Path) -> None:
    write(
        tmp_path,
        {".paa.config": "license_label: 'mit'\nmodule_dir:\ncli_dir: null\n", "python_modules/a.py": ""},
    )
    repo = layout.load(tmp_path)
    assert repo.layout.folders() == {
        "modules": "python_modules",
        "components": "python_modules/components",
        "cli": "cli",
        "api": "api_routes",
        "apps": "streamlit",
        "docs": "extra_docs",
        "data": "artifacts",
        "notebooks": "example_notebooks",
        "tests": "tests",
    }
    assert repo.layout.package_data == "artifacts" and repo.table["tag"] == paa.TAG
    assert repo.paa is not None and repo.paa.license_label == "mit"
    assert repo.paa.other == {
        "mcp_dir": "mcp",
        "drawio_dir": "drawio",
        "licenses_dir": "licenses",
        "docs_dir": ".paa/docs",
    }
    assert repo.skipped() == {"a": "no __package_metadata__ (package-auto-assembler skips it too)"}


def test_shipyard_toml_layout_over_paa_config_and_exclude(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".paa.config": "module_dir: mods\n",
            "shipyard.toml": '[layout]\nexclude = ["b_mod"]\npackage-data = "files"\n',
            "mods/a_mod.py": '"""A."""\n__package_metadata__ = {}\n',
            "mods/b_mod.py": '"""B."""\n__package_metadata__ = {}\n',
        },
    )
    repo = layout.load(tmp_path)
    assert [m.name for m in repo.modules()] == ["a-mod"]
    assert repo.layout.modules == "mods" and repo.layout.package_data == "files"
    assert "excluded" in repo.skipped()["b-mod"]
    with pytest.raises(ConfigError, match="b_mod' is no package: excluded"):
        repo.module("b_mod")
    (tmp_path / "shipyard.toml").write_text("[layout]\nexclude = 'b_mod'\n")
    with pytest.raises(ConfigError, match=r"exclude .* must be a list"):
        layout.load(tmp_path)


@pytest.mark.parametrize(
    ("tag", "package", "version"),
    [
        ("v0.3.0_mocker_db", "mocker_db", "0.3.0"),
        ("v0.3.0_mocker_db", "mocker-db", "0.3.0"),
        ("v0.0.10_mocker_db.py", "mocker_db", "0.0.10"),
        ("v0.5.28_package-auto-assembler", "package_auto_assembler", "0.5.28"),
        ("v0.3.0_mocker_db", "mocker", None),
        ("v0.3.0_mocker_dbx", "mocker_db", None),
    ],
)
def test_paa_tags(tag: str, package: str, version: str | None) -> None:
    assert TagPattern(paa.TAG).match(tag, package) == version


def test_package_is_anchored_by_the_known_names() -> None:
    tags = [("v0.3.0_mocker_db", "a"), ("v0.0.10_mocker_db.py", "b"), ("v1.0_mocker", "c"), ("v1_x", "d")]
    found = released_by_package(tags, TagPattern(paa.TAG), ["mocker", "mocker_db"])
    assert {name: [t.tag for t in items] for name, items in found.items()} == {
        "mocker": ["v1.0_mocker"],
        "mocker-db": ["v0.0.10_mocker_db.py", "v0.3.0_mocker_db"],
    }


def test_tracking_file(tmp_path: Path) -> None:
    write(tmp_path, {paa.TRACKING: "mocker_db: 0.3.0\nattrsx: '0.2.1'\n"})
    assert {k: str(v) for k, v in paa.tracked_versions(tmp_path).items()} == {
        "mocker-db": "0.3.0",
        "attrsx": "0.2.1",
    }
    (tmp_path / paa.TRACKING).write_text("mocker_db: next\n")
    with pytest.raises(ConfigError, match="'next' is not a PEP 440 version"):
        paa.tracked_versions(tmp_path)


def test_the_most_specific_hint_wins_across_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "shipyard.toml": "",
            "modules/store.py": '"""Store."""\nimport numpy  #==1.26.0\nfrom components.deps.x import f\n',
            "modules/components/deps/x.py": "import yaml  #>=6\n",
            "api/store.py": "import numpy\nimport yaml\nfrom fastapi import APIRouter\nrouter = APIRouter()\n",
        },
    )
    repo = layout.load(tmp_path)
    needs = collect(repo, repo.module("store"))
    assert sorted(str(r) for r in needs.required.values()) == ["PyYAML>=6", "fastapi", "numpy==1.26.0"]
    assert needs.components == {"deps"}  # a folder without __init__.py is a component


def test_relative_imports_must_reach_a_shipped_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".paa.config": "",
            "python_modules/one.py": '"""One."""\n__package_metadata__ = {}\nfrom .components.b.x import f\n',
            "python_modules/two.py": '"""Two."""\n__package_metadata__ = {}\nfrom .one import f\n',
            "python_modules/three.py": '"""Three."""\n__package_metadata__ = {}\n\nfrom .components.nope import g\n',
            "python_modules/components/b/x.py": "from .y import g\n\ndef f():\n    return g()\n",
            "python_modules/components/b/y.py": "def g():\n    return 1\n",
        },
    )
    repo = layout.load(tmp_path)
    assert collect(repo, repo.module("one")).components == {"b"}
    with pytest.raises(
        RequirementError, match=r"two\.py:3: 'from \.one import \.\.\.' leads to .* absolutely"
    ):
        collect(repo, repo.module("two"))
    with pytest.raises(
        RequirementError, match=r"three\.py:4: 'from \.components\.nope import \.\.\.' does not lead"
    ):
        collect(repo, repo.module("three"))
