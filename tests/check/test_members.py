"""Files named to `publish FILE...` pass the checks a release's own pass (issue 12, point 14): an
sdist with a `../` or absolute member, a link to /etc/shadow, a `.pypirc` or junk for PKG-INFO is
refused by `check` and by `publish`, and nothing reaches the (real pypiserver) index. The same
repacking with nothing hostile added is uploaded: the refusal comes from what was added."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from shipyard.check import members
from shipyard.dists import identify
from tests.helpers import hostile
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration

KINDS = {
    "climbs-out": "a member outside the folder it unpacks into (tiny_pkg-1.0.0/../../escaped.txt)",
    "absolute": "a member outside the folder it unpacks into (/tmp/shipyard-escaped.txt)",
    "link": "a link out of the archive (tiny_pkg-1.0.0/shadow -> /etc/shadow)",
    "pypirc": "contains a .pypirc (index credentials): .pypirc",
    "junk-metadata": "tiny_pkg-1.0.0.tar.gz: unreadable metadata",
}


@pytest.fixture
def built(shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex) -> Path:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
    run = shipyard("build", "-C", str(root))
    assert run.code == 0, run.text
    return root


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_sdist_named_to_publish_is_refused_and_nothing_arrives(
    kind: str, built: Path, shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    bad = hostile.sdist(built / "dist" / "tiny_pkg-1.0.0.tar.gz", tmp_path / "bad", kind)
    env = creds(staging=fresh_pypiserver)
    checked = shipyard("check", "-C", str(built), str(bad), env=env)
    published = shipyard("publish", "--to", "staging", "-C", str(built), str(bad), env=env)
    for run in (checked, published):
        errors = run.err.splitlines()
        assert run.code == 1 and len(errors) == 1 and KINDS[kind] in errors[0], run.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
    assert not (built / ".shipyard" / "audit.jsonl").exists()


def test_the_same_repacking_with_nothing_added_is_uploaded(
    built: Path, shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    plain = hostile.sdist(built / "dist" / "tiny_pkg-1.0.0.tar.gz", tmp_path / "plain", "none")
    run = shipyard(
        "publish", "--to", "staging", "-C", str(built), str(plain), env=creds(staging=fresh_pypiserver)
    )
    assert run.code == 0, run.text
    assert list(fresh_pypiserver.served_files("tiny-pkg")) == ["tiny_pkg-1.0.0.tar.gz"]


def test_a_wheel_member_that_climbs_out_is_refused(
    built: Path, shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    bad = hostile.wheel(built / "dist" / "tiny_pkg-1.0.0-py3-none-any.whl", tmp_path / "bad", "../../x.py")
    run = shipyard(
        "publish", "--to", "staging", "-C", str(built), str(bad), env=creds(staging=fresh_pypiserver)
    )
    assert run.code == 1 and "outside the folder it unpacks into (../../x.py)" in run.err, run.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}


def _sdist(path: Path, *entries: tarfile.TarInfo) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for entry in entries:
            tf.addfile(entry)
    return path


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def test_links_inside_the_archive_pass_and_links_out_do_not(tmp_path: Path) -> None:
    inside = _sdist(
        tmp_path / "a-1.0.tar.gz",
        tarfile.TarInfo("a-1.0/README"),
        _link("a-1.0/docs/README", "../README"),
        _link("a-1.0/copy", "a-1.0/README", tarfile.LNKTYPE),
    )
    assert members.unsafe(identify(inside)) == []
    (tmp_path / "out").mkdir()
    out = _sdist(
        tmp_path / "out" / "a-1.0.tar.gz",
        _link("a-1.0/up", "../../etc/passwd"),
        _link("a-1.0/hard", "../outside", tarfile.LNKTYPE),
        _link("a-1.0/fifo", "", tarfile.FIFOTYPE),
    )
    found = members.unsafe(identify(out))
    assert [line.split(": ")[0] for line in found] == [
        "a-1.0.tar.gz contains a link out of the archive (a-1.0/up -> ../../etc/passwd)",
        "a-1.0.tar.gz contains a hard link out of the archive (a-1.0/hard -> ../outside)",
        "a-1.0.tar.gz contains a device or FIFO (a-1.0/fifo)",
    ]


def test_a_file_that_is_no_archive_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "a-1.0.tar.gz").write_bytes(b"not gzip at all")
    (found,) = members.unsafe(identify(tmp_path / "a-1.0.tar.gz"))
    assert found.startswith("a-1.0.tar.gz is not a gzipped tar archive (an sdist) that can be read")
