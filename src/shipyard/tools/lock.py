"""One writing shipyard run per repository: a lock on `shipyard.lock` in the git directory that
every linked worktree shares (`.git/shipyard.lock`: tags are shared too, so a release in a `git
worktree` twin waits for this one), or on `.shipyard/lock` outside git.

The lock is filelock's native one: flock where there is fcntl, LockFileEx on Windows; where there
is neither, the lock file itself, made with O_EXCL (a crashed run then leaves it behind, and the
message names its pid). `file_lock` is the same library's blocking lock for the caches and the
local index.

Commands that write (build into dist/, publish, release) hold it for their whole run, so two runs
in the same tree cannot interleave their builds, state files and uploads. The git directory keeps
the lock out of the tree that the build backend packs into the sdist. The holder writes its pid
and command into the file; a second run waits up to `lock-timeout` seconds (forever with --wait),
then fails with exit code 2 naming that pid. The kernel drops a native lock when its process dies, so a
crashed run never leaves a stale lock. The file is removed on release; a waiter that got the lock
on a removed file notices (its inode is no longer the path's) and takes the new one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

with warnings.catch_warnings():  # "only soft file lock is available": what _try_lock is for
    warnings.simplefilter("ignore")
    import filelock

from shipyard import events
from shipyard.errors import UsageError
from shipyard.tools import git, workdirs

_POLL = 0.1
NATIVE = filelock.has_fcntl or sys.platform == "win32"  # else: lock files made with O_EXCL


def file_lock(path: Path) -> filelock.BaseFileLock:
    """A blocking lock on `path` (made with its folder), portable: use it as a context manager."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return filelock.FileLock(str(path))


class Busy(UsageError):
    """Another shipyard run holds this working tree."""


def _holder(path: Path, root: Path) -> tuple[str, str]:
    """Who holds the lock, and the tree it works in (written by the holder: a worktree twin's)."""
    try:
        first, _, where = path.read_text().strip().partition("\n")
    except OSError:
        return "another shipyard run", str(root)
    pid, _, command = first.partition(" ")
    if not pid:
        return "another shipyard run", str(root)
    return f"shipyard {command or 'run'} (pid {pid})", where.strip() or str(root)


def _try_lock(path: Path) -> int | None:
    """A descriptor of `path` holding its lock, or None while another run holds it."""
    if not NATIVE:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        locked = filelock.lock_descriptor(fd, blocking=False)
    except OSError:
        os.close(fd)
        raise
    if not locked:
        os.close(fd)
        return None
    return fd


def _open_locked(
    root: Path, path: Path, deadline: float | None, emit: events.Emit, waiting: list[bool]
) -> int:
    """A descriptor of `path` holding its lock; Busy once `deadline` passes."""
    while True:
        try:
            if path.parent.name == workdirs.STATE:
                workdirs.ensure(path.parent)
            fd = _try_lock(path)
        except FileNotFoundError:  # the last holder removed .shipyard/ meanwhile
            continue
        if fd is None:
            who, where = _holder(path, root)
            if deadline is not None and time.monotonic() >= deadline:
                raise Busy(
                    f"{who} is working in {where}: wait for it to finish, or pass --wait to queue behind it"
                ) from None
            if not waiting:
                waiting.append(True)
                events.info(emit, f"waiting for {who} to finish in {where}")
            time.sleep(_POLL)
            continue
        try:
            same = os.fstat(fd).st_ino == path.stat().st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # locked a file the last holder already removed: take the current one


def lock_path(root: Path) -> Path:
    found = git.common_dir(root)
    return found / "shipyard.lock" if found is not None else root / workdirs.STATE / "lock"


@contextlib.contextmanager
def hold(
    root: Path, command: str, *, timeout: float | None, emit: events.Emit = events.ignore
) -> Iterator[None]:
    """Hold `root/.shipyard/lock` for the block; `timeout` None waits as long as it takes."""
    path = lock_path(root)
    made_state = path.parent.name == workdirs.STATE and not path.parent.exists()
    deadline = None if timeout is None else time.monotonic() + timeout
    fd = _open_locked(root, path, deadline, emit, [])
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {command}\n{root.resolve()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # closing drops a native lock; an O_EXCL lock file went with the unlink
        if made_state:
            _remove_if_bare(path.parent)


def _remove_if_bare(state: Path) -> None:
    """Leave no `.shipyard/` behind when this run made it and wrote nothing else there."""
    with contextlib.suppress(OSError):
        if [p.name for p in state.iterdir()] == [".gitignore"]:
            (state / ".gitignore").unlink()
            state.rmdir()
