from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from shipyard.builder.reproducible import normalize_sdist, source_date_epoch
from tests.helpers.projects import git


def make_sdist(path: Path, when: float) -> None:
    """An archive written the way setuptools does: current times everywhere, owners set."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=when) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tf,
    ):
        for name, data in [("demo-1.0/PKG-INFO", b"Name: demo\n"), ("demo-1.0/demo.py", b"x = 1\n")]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.uid, info.uname = len(data), when, 1000, "dev"
            tf.addfile(info, io.BytesIO(data))


def test_sdists_built_at_different_times_become_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    make_sdist(a, time.time())
    make_sdist(b, time.time() + 100)
    assert a.read_bytes() != b.read_bytes()
    assert normalize_sdist(a, 1_600_000_000) and normalize_sdist(b, 1_600_000_000)
    assert a.read_bytes() == b.read_bytes()
    assert not normalize_sdist(a, 1_600_000_000), "an archive already pinned is left alone"
    with tarfile.open(a) as tf:
        assert [(m.name, m.mtime, m.uid, m.uname) for m in tf.getmembers()] == [
            ("demo-1.0/PKG-INFO", 1_600_000_000, 0, ""), ("demo-1.0/demo.py", 1_600_000_000, 0, "")
        ]  # fmt: skip
        member = tf.extractfile("demo-1.0/demo.py")
        assert member is not None and member.read() == b"x = 1\n"


def test_files_older_than_the_commit_get_its_time_too(tmp_path: Path) -> None:
    """A long-lived checkout's files are older than the commit, a fresh clone's newer: same bytes."""
    old, fresh = tmp_path / "old.tar.gz", tmp_path / "fresh.tar.gz"
    make_sdist(old, 1_000_000_000)
    make_sdist(fresh, time.time())
    assert normalize_sdist(old, 1_600_000_000) and normalize_sdist(fresh, 1_600_000_000)
    assert old.read_bytes() == fresh.read_bytes()
    with tarfile.open(old) as tf:
        assert {m.mtime for m in tf.getmembers()} == {1_600_000_000}


def test_epoch_from_git_then_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (tmp_path / "f.py").write_text("x = 1\n")
    os.utime(tmp_path / "f.py", (1_700_000_000, 1_700_000_000))
    assert source_date_epoch(tmp_path) == 1_700_000_000, "outside git: the newest file"
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1650000000 +0000")
    git(tmp_path, "commit", "-qm", "x")
    assert source_date_epoch(tmp_path) == 1_650_000_000, "in git: the last commit"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert source_date_epoch(tmp_path) == 1_234_567_890, "the user's own value wins"
