"""What a plan reads from git, read once a run: the tags, whether the clone is shallow, and the log.

A packaging repository plans hundreds of packages; asking git twice for each (is it shallow, which
commits touch its files) made `plan` cost seconds. `History` carries the tags and the shallow flag
read once, and, for packages without a release, answers "the commits since the beginning that touch
these paths" from one `git log` of HEAD's whole history (plus one `git diff-tree` for merges):
the same commits, in the same order, as `git log HEAD -- PATHS` gives, with git's default history
simplification (a merge that leaves the paths as one parent had them is followed through that parent
only and not shown). A log since a release stays one `git log` per package: few packages change.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from shipyard.tools import git

_GLOB = set("*?[]\\")  # a pathspec git would match as a pattern (or ":" magic): asked of git itself


class Walk:
    """HEAD's history with each commit's changed files, indexed by path and folder; read on first use."""

    def __init__(self, top: Path, base: str) -> None:
        self.top = top
        self.base = base  # the planned folder, relative to the top ("." for the top itself)
        self._order: list[git.LogEntry] = []
        self._position: dict[str, int] = {}
        self._line = True  # no merges: every commit is on the walk
        self._parents: dict[str, tuple[str, ...]] = {}
        self._touching: dict[str, set[tuple[str, int]]] = {}  # path or folder -> (commit, nth parent)
        self._read = False

    def _load(self) -> None:
        logged = git.history(self.top)
        merges = [(c.entry.sha, p) for c in logged if len(c.parents) > 1 for p in c.parents]
        by_merge: dict[str, list[set[str]]] = {}
        for (merge, _), names in zip(merges, git.merge_changes(self.top, merges), strict=True):
            by_merge.setdefault(merge, []).append(names)
        for commit in logged:
            sha = commit.entry.sha
            self._position[sha] = len(self._order)
            self._order.append(commit.entry)
            self._parents[sha] = commit.parents
            self._line = self._line and len(commit.parents) <= 1
            for nth, names in enumerate(by_merge.get(sha, [set(commit.files)])):
                for name in names:
                    for key in _self_and_folders(name):
                        self._touching.setdefault(key, set()).add((sha, nth))
        self._read = True

    def log(self, paths: Sequence[str]) -> list[git.LogEntry]:
        """The commits `git log HEAD -- paths` shows (paths relative to the planned folder)."""
        if not self._read:
            self._load()
        hit: set[tuple[str, int]] = set()
        for path in paths:
            key = posixpath.normpath(posixpath.join(self.base, path))
            hit |= self._touching.get("" if key == "." else key, set())
        return [self._order[n] for n in sorted(self._position[sha] for sha in self._simplified(hit))]

    def _simplified(self, hit: set[tuple[str, int]]) -> set[str]:
        """git's default simplification: from HEAD, a commit the paths leave as one parent had them
        (TREESAME) is hidden and only that parent followed; any other commit is shown."""
        if self._line:
            return {sha for sha, _ in hit}  # a line: every commit is walked
        shown: set[str] = set()
        seen: set[str] = set()
        todo = [self._order[0].sha] if self._order else []
        while todo:
            sha = todo.pop()
            if sha in seen or sha not in self._parents:
                continue
            seen.add(sha)
            parents = self._parents[sha]
            same = next((p for n, p in enumerate(parents) if (sha, n) not in hit), None)
            if same is not None:
                todo.append(same)
            elif parents or (sha, 0) in hit:
                shown.add(sha)
                todo.extend(parents)
        return shown


def _self_and_folders(name: str) -> list[str]:
    """The keys a changed file is found under: itself, each folder above it, and "" (the top)."""
    parts = name.split("/")
    return ["/".join(parts[:n]) for n in range(len(parts) + 1)]


@dataclass(frozen=True)
class History:
    """The tags (tag, commit) a plan counts from, the shallow flag (None: not asked yet) and, for a
    caller that plans many packages, one shared walk of HEAD's history."""

    root: Path
    tags: tuple[tuple[str, str], ...]
    shallow: bool | None = None
    walk: Walk | None = None

    @classmethod
    def read(cls, root: Path) -> History:
        """The repository's tags reachable from HEAD."""
        return cls(root, tuple(git.tags(root)))

    def batched(self, top: Path) -> History:
        """This history answering the logs of packages without a release from one walk of the
        whole history (`top`: the work tree's top), read when first asked."""
        base = posixpath.relpath(self.root.resolve().as_posix(), top.resolve().as_posix())
        return replace(self, walk=Walk(top, base))

    def checked(self) -> History:
        """This history with the shallow flag asked of git (once)."""
        return self if self.shallow is not None else replace(self, shallow=git.is_shallow(self.root))

    def is_shallow(self) -> bool:
        return self.shallow if self.shallow is not None else git.is_shallow(self.root)

    def with_tags(self, tags: Sequence[tuple[str, str]]) -> History:
        return replace(self, tags=tuple(tags))

    def log(self, since: str | None, paths: Sequence[str]) -> list[git.LogEntry]:
        """Commits reachable from HEAD and not from `since` that touch `paths` (relative to root)."""
        if since is not None or self.walk is None or any(_GLOB & set(p) or p.startswith(":") for p in paths):
            return git.log(self.root, since=since, paths=paths)
        return self.walk.log(paths)
