"""The refusals that come before anything is built: a dirty tree, the wrong branch, a tag that is
taken, a version lower than the last release, flags that exclude each other, a shallow clone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from shipyard.config import Config
from shipyard.errors import NothingToRelease, UsageError
from shipyard.plan.history import History
from shipyard.plan.versions import Tagged
from shipyard.tools import git

if TYPE_CHECKING:
    from shipyard.plan.target import Trigger


def guard_clean(config: Config) -> None:
    root = config.root.resolve()
    ours = (config.dist_dir, root / ".shipyard")
    changed = [
        os.path.relpath(p, root)
        for p in git.dirty(root)
        if not any(p.resolve().is_relative_to(o) for o in ours)
    ]
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise UsageError(
            f"the working tree has uncommitted changes ({shown}): commit or stash them, "
            "or pass --allow-dirty to release them anyway"
        )


def guard_tag_free(root: Path, tag: str) -> bool:
    """True when `tag` is still to be made; an existing tag must be on HEAD."""
    on = git.tag_commit(root, tag)
    if on is None:
        return True
    head = git.head(root)
    if on != head:
        raise UsageError(
            f"tag {tag} exists already on commit {on[:12]}, not on HEAD ({(head or '?')[:12]}): "
            "check that commit out to release it, or release another version"
        )
    return False


def guard_not_lower(version: Version, tags: list[Tagged], tag: str | None) -> None:
    older = [t for t in tags if t.tag != tag]
    if older and version < older[-1].version:
        raise UsageError(
            f"version {version} is lower than {older[-1].version}, released as {older[-1].tag}: "
            "release a higher version"
        )


def guard_branch(wanted: str | None, branch: str | None) -> None:
    """`--if-branch`: anywhere else there is nothing to release (exit 3)."""
    if wanted is not None and branch != wanted:
        raise NothingToRelease(
            f"nothing to release: releases happen on branch {wanted}, this is {branch or 'no branch'}"
        )


def guard_trigger(config: Config, trigger: Trigger, in_git: bool, branch: str | None) -> None:
    guard_branch(trigger.if_branch, branch)
    if trigger.tag is not None and trigger.bump is not None:
        raise UsageError(
            "--tag and --bump exclude each other: the version comes from the tag or from the commits"
        )
    if (trigger.tag is not None or trigger.bump is not None) and not in_git:
        raise UsageError(f"{config.root} is not in a git repository with a commit: --tag and --bump need one")
    if trigger.pre and trigger.bump is None:
        raise UsageError("--pre goes with --bump: it makes the next version a pre-release")
    if in_git and not trigger.allow_dirty:
        guard_clean(config)


def shallow_guard(history: History, tags: list[Tagged]) -> None:
    """A shallow clone hides the tags and commits a version is computed from: refuse, never guess."""
    if not tags and history.is_shallow():
        raise UsageError(
            "this is a shallow clone without the release tags: fetch the full history "
            "(git fetch --unshallow --tags; actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: 0)"
        )
