"""Poetry's dependency specifications as PEP 508 (check.poetry), held against poetry-core's own
conversion (installed by the test extra only: shipyard no longer depends on it) on the same input,
compared by meaning: name, extras, the versions each admits, and the markers on several machines."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from shipyard.check.poetry import PoetryError, requirements, specifier

SPECS: list[object] = [
    "^1.2.3",
    "^1.2",
    "^0.2.3",
    "^0.2",
    "^0.0.3",
    "^0.0",
    "^0",
    "^2.0.0b1",
    "~1.2.3",
    "~1.2",
    "~1",
    "~=1.4",
    "~=1.4.2",
    "1.2.*",
    "==1.2.*",
    "!=1.5",
    "1.2.3",
    "=1.2.3",
    ">= 1.2, < 2",
    ">=1.2 <2.0",
    ">1.0,<=1.9",
    "*",
    {"version": "^2", "extras": ["socks", "security"]},
    {"version": "^2", "python": "^3.8"},
    {"version": ">=1", "python": ">=3.8.1,<4"},
    {"version": "^1", "python": "~3.9"},
    {"version": "^1", "platform": "linux"},
    {"version": "^1", "markers": "sys_platform == 'win32'"},
    {"git": "https://github.com/org/repo.git", "branch": "main"},
    {"git": "git@github.com:org/repo.git", "tag": "v1.0"},
    {"git": "https://github.com/org/mono.git", "rev": "abc123", "subdirectory": "pkg"},
    {"url": "https://example.invalid/a-1.0-py3-none-any.whl", "python": "3.10.*"},
]
VERSIONS = [
    "0", "0.0.1", "0.0.3", "0.0.4", "0.1", "0.2", "0.2.3", "0.2.9", "0.3", "1", "1.0.1", "1.2", "1.2.3",
    "1.2.9", "1.3", "1.4", "1.4.2", "1.5", "1.9", "2.0.0a1", "2.0.0b1", "2.0", "2.5", "3", "10",
]  # fmt: skip
MACHINES = [
    {"python_version": v, "python_full_version": f"{v}.{p}", "sys_platform": plat}
    for v in ("3.7", "3.8", "3.9", "3.10", "3.12", "4.0")
    for p in (0, 1, 5)
    for plat in ("linux", "win32")
]


def _meaning(text: str) -> tuple[object, ...]:
    req = Requirement(text)
    admitted = tuple(req.specifier.contains(v, prereleases=True) for v in VERSIONS)
    marker = req.marker or Marker("python_version > '0'")
    where = tuple(marker.evaluate(dict(m)) for m in MACHINES)
    return req.name, frozenset(req.extras), req.url, admitted, where


@pytest.mark.parametrize("spec", SPECS, ids=[str(s) for s in SPECS])
def test_as_poetry_core_writes_it(spec: object, tmp_path: Path) -> None:
    factory = pytest.importorskip("poetry.core.factory").Factory
    (ours,) = requirements("some-dep", spec, tmp_path)
    theirs = factory.create_dependency("some-dep", spec, root_dir=tmp_path).to_pep_508()
    assert _meaning(ours) == _meaning(theirs), (ours, theirs)


def test_a_local_path_is_a_file_url_from_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "libs" / "helper").mkdir(parents=True)
    (req,) = requirements("helper", {"path": "libs/helper", "develop": True}, tmp_path)
    assert req == f"helper @ {(tmp_path / 'libs' / 'helper').as_uri()}"


def test_a_list_is_one_requirement_per_table_each_with_its_markers(tmp_path: Path) -> None:
    spec = [{"version": "^1", "python": "<3.9"}, {"version": "^2", "python": ">=3.9"}]
    assert requirements("dep", spec, tmp_path) == [
        'dep<2,>=1; python_version < "3.9"',
        'dep<3,>=2; python_version >= "3.9"',
    ]


@pytest.mark.parametrize(
    ("constraint", "said"),
    [
        ("^1 || ^3", "Poetry's || (either range) has no PEP 508 form: write one range"),
        ("^banana", "'banana' is not a version"),
    ],
)
def test_what_has_no_pep_508_form_is_an_error(constraint: str, said: str) -> None:
    with pytest.raises(PoetryError, match=f"{said}$"):
        specifier(constraint)
