"""A wheel whose files do not match its RECORD, that holds a name twice, or whose WHEEL tags are not
its file name's is refused by `check --to pypi` (PyPI refuses it since February 2026), and `publish`
and `release` upload nothing, not even the sdist; `twine check --strict` passes each of these files.

The wheels are PyPI's own (packaging 24.0, built by flit), repacked with one thing broken."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from shipyard.check.members import unsafe
from shipyard.check.record import record_problems
from shipyard.dists import identify
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml
from tests.helpers.realsdists import RealDist
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration

REAL = "packaging==24.0"
INFO = "packaging-24.0.dist-info"
Entries = list[tuple[str, bytes]]


def entries_of(wheel: Path) -> Entries:
    with zipfile.ZipFile(wheel) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def recorded(entries: Entries) -> Entries:
    """The entries with a RECORD that matches them (as a backend writes it)."""
    rows = []
    for name, data in entries:
        if name != f"{INFO}/RECORD":
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append(f"{name},sha256={digest},{len(data)}")
    rows.append(f"{INFO}/RECORD,,")
    return [(n, d) for n, d in entries if n != f"{INFO}/RECORD"] + [
        (f"{INFO}/RECORD", "\n".join(rows).encode())
    ]


def edit(name: str, change: Callable[[bytes], bytes]) -> Callable[[Entries], Entries]:
    return lambda entries: [(n, change(d) if n == name else d) for n, d in entries]


def record_row(path: str, change: Callable[[str], str]) -> Callable[[bytes], bytes]:
    def rewrite(record: bytes) -> bytes:
        lines = record.decode().splitlines()
        return "\n".join(change(line) if line.startswith(f"{path},") else line for line in lines).encode()

    return rewrite


# case -> (how the real wheel is broken, what check says)
CASES: dict[str, tuple[Callable[[Entries], Entries], str]] = {
    "changed-after-record": (
        edit("packaging/version.py", lambda d: d + b"\nBACKDOOR = 1\n"),
        "packaging/version.py does not match the hash RECORD gives it",
    ),
    "size-differs": (
        edit(f"{INFO}/RECORD", record_row("packaging/tags.py", lambda line: line.rsplit(",", 1)[0] + ",1")),
        "packaging/tags.py is 18950 bytes, RECORD says 1",
    ),
    "file-not-in-record": (
        lambda entries: [*entries, ("packaging/extra.py", b"import os\n")],
        "packaging/extra.py is not listed in RECORD",
    ),
    "record-entry-without-file": (
        lambda entries: [(n, d) for n, d in entries if n != "packaging/_tokenizer.py"],
        "RECORD lists packaging/_tokenizer.py, which is not in the wheel",
    ),
    "record-hashes-itself": (
        edit(f"{INFO}/RECORD", record_row(f"{INFO}/RECORD", lambda _: f"{INFO}/RECORD,sha256=AAAA,1660")),
        "RECORD gives a hash or size for itself",
    ),
    "a-name-twice": (
        lambda entries: [*entries, ("packaging/version.py", b"BACKDOOR = 1\n")],
        "contains the name packaging/version.py more than once (a ZIP-confusion file)",
    ),
    "wheel-tags-not-the-file-name": (
        lambda entries: recorded(
            edit(f"{INFO}/WHEEL", lambda d: d.replace(b"py3-none-any", b"cp312-cp312-win32"))(entries)
        ),
        "WHEEL's Tag lines (cp312-cp312-win32) do not match the file name's tags",
    ),
}


def repack(wheel: Path, dest: Path, broken: Callable[[Entries], Entries]) -> Path:
    out = dest / wheel.name
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the point of one case
        for name, data in broken(entries_of(wheel)):
            zf.writestr(name, data)
    return out


def twine_strict(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose one stage is PyPI: the files checked are named on the command line."""
    return make_project(tmp_path / "proj", tool='[tool.shipyard]\nstages = ["pypi"]\n', with_tests=False)


@pytest.mark.parametrize(
    "requirement",
    [
        "six==1.16.0",  # bdist_wheel: two Tag lines for py2.py3
        "rpds-py==0.20.0",  # maturin: one compressed Tag line, which PyPI takes (warehouse#19411 is open)
        "PyYAML==6.0.2",  # setuptools + auditwheel: a repaired manylinux wheel
    ],
)
def test_real_wheels_of_other_backends_pass(real_dist: RealDist, requirement: str) -> None:
    wheel = identify(real_dist(requirement, "wheel"))
    assert record_problems(wheel) == [] and unsafe(wheel) == []


def test_a_real_wheel_repacked_as_its_backend_wrote_it_passes(
    shipyard: ShipyardCLI, real_dist: RealDist, project: Path, tmp_path: Path
) -> None:
    wheel = repack(real_dist(REAL, "wheel"), tmp_path / "same", recorded)
    run = shipyard("check", "--to", "pypi", "-C", str(project), str(real_dist(REAL, "sdist")), str(wheel))
    assert run.code == 0, run.text


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_refuses_a_real_wheel_with_a_broken_record_which_twine_passes(
    case: str, shipyard: ShipyardCLI, real_dist: RealDist, project: Path, tmp_path: Path
) -> None:
    broken, message = CASES[case]
    wheel = repack(real_dist(REAL, "wheel"), tmp_path / case, broken)
    sdist = real_dist(REAL, "sdist")
    twine = twine_strict(sdist, wheel)
    assert twine.returncode == 0, twine.stdout + twine.stderr  # the peer sees nothing wrong
    run = shipyard("check", "--verbose", "--to", "pypi", "-C", str(project), str(sdist), str(wheel))
    assert run.code == 1, run.text
    errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: packaging-24.0-py3-none-any.whl"), run.err
    assert message in run.err, run.err
    assert "build the wheel again" in run.err or "ZIP-confusion" in run.err
    assert "Traceback" not in run.text


def test_publish_and_release_upload_nothing_not_even_the_sdist(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    # a public stage served by a real pypiserver: PyPI's rules apply to it
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(
        tmp_path / "proj", tool=tool.replace("simple-url", "public = true\nsimple-url"), with_tests=False
    )
    env = creds(staging=fresh_pypiserver)
    assert shipyard("build", str(root), env=env).code == 0
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    sdist = shutil.copy(root / "dist" / "tiny_pkg-1.0.0.tar.gz", wheelhouse)
    wheel = repack(
        root / "dist" / "tiny_pkg-1.0.0-py3-none-any.whl",
        wheelhouse,
        edit("tiny_pkg/__init__.py", lambda d: d + b"\nimport os\n"),
    )
    assert twine_strict(Path(sdist), wheel).returncode == 0

    published = shipyard("publish", "--to", "staging", "-C", str(root), str(sdist), str(wheel), env=env)
    assert published.code == 1, published.text
    assert "tiny_pkg/__init__.py does not match the hash RECORD gives it" in published.err
    released = shipyard("release", "--no-test-install", "--dists", str(wheelhouse), "-C", str(root), env=env)
    assert released.code == 1, released.text
    assert "tiny_pkg/__init__.py does not match the hash RECORD gives it" in released.err
    assert "Traceback" not in published.text + released.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
