"""Frozen plans and the one recorder: what a release decides is never changed afterwards, and both
release kinds (one project, a packaging repository) record through the same writer, which puts the
files back when the commit fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from shipyard import config
from shipyard.errors import EXIT_FAILED, GitError, UsageError
from shipyard.plan.target import Trigger, resolve
from shipyard.record import writer
from shipyard.tools.network import TransientError
from tests.helpers.projects import ShipyardCLI, git, make_project


def _bumpable(tmp_path: Path) -> Path:
    """A project released as v1.2.0 with a fix since: --bump makes 1.2.1."""
    root = make_project(tmp_path / "proj", version="1.2.0", with_tests=False)
    git(root, "tag", "-a", "v1.2.0", "-m", "v1.2.0")
    (root / "README.md").write_text("# tiny-pkg\n\nFixed.\n")
    git(root, "commit", "-qam", "fix: a typo")
    return root


def _state(root: Path) -> tuple[str, str, str, dict[str, bytes]]:
    """HEAD, the tags, `git status` and every file outside .git and .shipyard."""
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not {".git", ".shipyard", "dist", "build"} & set(p.relative_to(root).parts)
    }
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    return git(root, "rev-parse", "HEAD"), git(root, "tag", "--list"), status, files


def test_the_target_and_its_plan_are_frozen(tmp_path: Path) -> None:
    root = _bumpable(tmp_path)
    target = resolve(config.load(root), Trigger(bump="auto"), {})
    assert (target.mode, target.version, target.tag, target.commit) == ("bump", "1.2.1", "v1.2.1", True)
    assert sorted(target.edits) == ["CHANGELOG.md", "pyproject.toml", "src/tiny_pkg/__init__.py"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.edits = {}  # type: ignore[misc]
    assert target.plan is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.plan.next_version = None  # type: ignore[misc]


def test_a_plain_release_of_a_dynamic_version_has_no_name(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    text = (root / "pyproject.toml").read_text().replace('version = "1.0.0"', 'dynamic = ["version"]')
    (root / "pyproject.toml").write_text(text + '[tool.hatch.version]\npath = "src/tiny_pkg/__init__.py"\n')
    (root / "src" / "tiny_pkg" / "__init__.py").write_text("VERSION = 1\n")  # no version shipyard can read
    git(root, "commit", "-qam", "a version only the backend knows")
    target = resolve(config.load(root), Trigger(), {})
    assert (target.name, target.version, target.mode, target.tag) == (None, None, "project", None)


def test_an_extended_error_is_a_new_one_of_the_same_kind() -> None:
    exc = GitError("git push failed", detail="remote: denied")
    more = exc.extended("; re-run to resume")
    assert type(more) is GitError and more is not exc
    assert (str(more), more.args, more.detail, more.exit_code) == (
        "git push failed; re-run to resume",
        ("git push failed; re-run to resume",),
        "remote: denied",
        EXIT_FAILED,
    )
    assert str(exc) == "git push failed" and exc.args == ("git push failed",)
    assert isinstance(UsageError("x").extended("y"), UsageError)
    # a subclass with arguments of its own keeps them
    later = TransientError("HTTP 503", retry_after=2.5).extended("; re-run")
    assert (type(later), str(later), later.retry_after) == (TransientError, "HTTP 503; re-run", 2.5)


def test_the_writer_refuses_a_left_over_lock_and_changes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    before = _state(root)
    (root / ".git" / "index.lock").touch()  # a git that was killed: `git add` would fail
    what = writer.Record(
        writer.Commit("chore(release): tiny-pkg 1.0.1", {"README.md": b"new\n", "NEW.md": b"new\n"}, None),
        (writer.Tag("v1.0.1", "tiny-pkg 1.0.1"),),
    )
    with pytest.raises(UsageError, match=r"\.git/index\.lock is left over .*: remove it"):
        writer.record(root, what, push=False, remote="origin", emit=lambda event: None)
    (root / ".git" / "index.lock").unlink()
    assert _state(root) == before  # README.md as it was, no NEW.md, no commit, no tag


def test_the_writers_steps_are_each_done_once(tmp_path: Path) -> None:
    """The release commit is made on no branch; carrying the steps out again changes nothing."""
    root = make_project(tmp_path / "proj", with_tests=False)
    head = git(root, "rev-parse", "HEAD").strip()
    what = writer.Record(
        writer.Commit(
            "chore(release): tiny-pkg 1.0.1", {"README.md": b"new\n", "NEW.md": b"new\n"}, 1_700_000_000
        ),
        (writer.Tag("v1.0.1", "tiny-pkg 1.0.1"),),
    )
    steps = writer.steps_of(root, what, push=False, remote="origin")
    assert steps.commit is not None and steps.parent == head
    assert git(root, "rev-parse", "HEAD").strip() == head and not (root / "NEW.md").exists()
    again = writer.steps_of(root, what, push=False, remote="origin")
    assert again.commit == steps.commit  # the same inputs make the same commit
    for _ in range(2):
        done = writer.carry_out(root, steps, emit=lambda event: None)
        assert done == writer.Recorded(steps.commit, ("v1.0.1",))
        assert git(root, "rev-parse", "HEAD", "v1.0.1^{commit}").split() == [steps.commit] * 2
        assert git(root, "status", "--porcelain") == ""
        assert (root / "NEW.md").read_bytes() == b"new\n"
    assert git(root, "log", "-1", "--format=%ct %s").strip() == "1700000000 chore(release): tiny-pkg 1.0.1"


@pytest.mark.integration
def test_a_left_over_lock_is_refused_before_anything_is_published(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = _bumpable(tmp_path)
    before = _state(root)
    lock = root / ".git" / "refs" / "tags" / "v1.2.1.lock"
    lock.touch()
    run = shipyard("release", "--bump", "--no-test-install", "--no-verify-install", "-C", str(root))
    assert run.code == 2, run.text
    assert run.err.strip().splitlines() == [
        f"error: {lock} is left over from a git command that was stopped: remove it (when no git "
        "command is running in this repository) and re-run"
    ]
    assert not (root / "dist").exists()  # nothing was built, nothing published
    lock.unlink()
    assert _state(root) == before
    again = shipyard("release", "--bump", "--no-test-install", "--no-verify-install", "-C", str(root))
    assert again.code == 0, again.text
    assert git(root, "describe", "--exact-match", "HEAD").strip() == "v1.2.1"


@pytest.mark.integration
def test_a_left_over_lock_stops_a_packaging_repository_before_it_publishes(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = tmp_path / "ppr"
    assert shipyard("init", "--packaging-repo", str(root)).code == 0
    assert shipyard("new", "word_count", "--description", "Count words.", "-C", str(root)).code == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[word_count] first")
    before = _state(root)
    (root / ".git" / "index.lock").touch()
    run = shipyard("release", "--no-test-install", "--no-verify-install", "-C", str(root))
    assert run.code == 2 and ".git/index.lock is left over" in run.err, run.text
    (root / ".git" / "index.lock").unlink()
    assert _state(root) == before  # no CHANGELOG, the README's table as it was, no tag
    again = shipyard("release", "--no-test-install", "--no-verify-install", "-C", str(root))
    assert again.code == 0, again.text
    assert git(root, "tag", "--list") == "word-count-v0.1.0\n"
    assert "| word-count | 0.1.0 | Count words. |" in (root / "README.md").read_text()
    assert git(root, "status", "--porcelain") == ""
