"""A command run in its own mount namespace (util-linux `unshare`), where a folder is a small tmpfs
(a real full disk: ENOSPC from the kernel on the real write path) or a read-only bind mount (a real
EROFS). Nothing leaks to the machine's mounts: the namespace ends with the command. Unprivileged
runs map themselves to root in a user namespace (`--map-root-user`) to be allowed the mounts."""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest


def _unshare() -> list[str]:
    return ["unshare", "--mount", *([] if os.geteuid() == 0 else ["--map-root-user"])]


@functools.cache
def _available() -> str:
    """Why a mount namespace cannot be made here ("" if it can)."""
    if shutil.which("unshare") is None:
        return "util-linux unshare is not installed"
    probe = subprocess.run([*_unshare(), "true"], capture_output=True, text=True, check=False)
    return probe.stderr.strip() if probe.returncode else ""


def confined(
    cmd: Sequence[str],
    *,
    full: Mapping[Path, int] | None = None,
    read_only: Sequence[Path] = (),
    listing: Path | None = None,
) -> list[str]:
    """`cmd` wrapped: each folder of `full` is an empty tmpfs of that many KiB, each of `read_only`
    is mounted read-only; with `listing`, the files left in the tmpfs folders (which vanish with
    the namespace) are written there, one path a line, after the command ends."""
    if why := _available():
        pytest.skip(f"no mount namespace: {why}")
    steps = ["set -e"]
    for folder, kib in (full or {}).items():
        folder.mkdir(parents=True, exist_ok=True)
        steps.append(f"mount -t tmpfs -o size={kib}k tmpfs {shlex.quote(str(folder))}")
    for folder in read_only:
        quoted = shlex.quote(str(folder))
        steps += [f"mount --bind {quoted} {quoted}", f"mount -o remount,bind,ro {quoted}"]
    steps += ["set +e", '"$@"', "rc=$?"]
    if listing is not None:
        folders = " ".join(shlex.quote(str(f)) for f in full or {})
        steps.append(f"find {folders} -mindepth 1 -type f > {shlex.quote(str(listing))}")
    steps.append("exit $rc")
    return [*_unshare(), "sh", "-c", "\n".join(steps), "sh", *cmd]
