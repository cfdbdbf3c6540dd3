"""A thin wrapper over the git CLI: only what the release needs, nothing cached.

Reads answer None or an empty list outside a repository; writes raise GitError with git's own words.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import GitError, UsageError
from shipyard.tools.procenv import child_env


@dataclass(frozen=True)
class LogEntry:
    sha: str
    subject: str
    body: str


class GitMissing(UsageError):
    """No git on PATH: nothing about versions, tags or the tree's state can be known."""


def _git(
    root: Path, *args: str, env: Mapping[str, str] | None = None, given: str | None = None
) -> subprocess.CompletedProcess[str]:
    """git `args` in `root` (`given`: its standard input)."""
    # hooks, fsmonitor and credential helpers run with git's environment: never the credentials
    try:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            input=given,
            capture_output=True,
            text=True,
            check=False,
            env=child_env(env),
            errors="replace",
        )
    except FileNotFoundError:
        if shutil.which("git") is None:
            raise GitMissing(
                "git is not installed or not on PATH: install git (shipyard reads versions, tags and "
                "the working tree's state with it)"
            ) from None
        raise


def _must(root: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    result = _git(root, *args, env=env)
    if result.returncode:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise GitError(f"git {args[0]} failed: {said[-1] if said else 'no output'}", detail=result.stderr)
    return result.stdout


def toplevel(path: Path) -> Path | None:
    """The work tree that contains `path`, or None outside git (GitMissing without git installed)."""
    try:
        result = _git(path, "rev-parse", "--show-toplevel")
    except (FileNotFoundError, NotADirectoryError):  # the folder itself is missing
        return None
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def common_dir(path: Path) -> Path | None:
    """The git directory every linked worktree of the repository holding `path` shares (where tags
    live), or None outside git."""
    try:
        result = _git(path, "rev-parse", "--path-format=absolute", "--git-common-dir")
    except (FileNotFoundError, NotADirectoryError):
        return None
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def last_commit_time(path: Path, rev: str = "HEAD") -> int | None:
    """Unix time of `rev`'s commit (HEAD's by default), or None when there is no such commit."""
    result = _git(path, "log", "-1", "--format=%ct", rev, "--")
    text = result.stdout.strip()
    return int(text) if result.returncode == 0 and text.isdigit() else None


def is_tracked(path: Path) -> bool:
    """Whether git tracks the file at `path` (False outside a repository)."""
    if toplevel(path.parent) is None:
        return False
    return _git(path.parent, "ls-files", "--error-unmatch", path.name).returncode == 0


def head(root: Path) -> str | None:
    result = _git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
    return result.stdout.strip() or None if result.returncode == 0 else None


def is_shallow(root: Path) -> bool:
    return _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def branch(root: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD (as CI checkouts often are)."""
    result = _git(root, "symbolic-ref", "-q", "--short", "HEAD")
    return result.stdout.strip() or None if result.returncode == 0 else None


def tags(root: Path, *, merged: bool = True) -> list[tuple[str, str]]:
    """(tag, commit) for every tag (reachable from HEAD when `merged`), annotated tags peeled."""
    args = ["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)"]
    if merged:
        args.append("--merged=HEAD")
    result = _git(root, *args, "refs/tags")
    pairs = []
    for line in result.stdout.splitlines() if result.returncode == 0 else []:
        name, obj, peeled = line.split("\0")
        pairs.append((name, peeled or obj))
    return pairs


def tag_commit(root: Path, tag: str) -> str | None:
    """The commit `tag` points at, or None when there is no such tag."""
    result = _git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}")
    return result.stdout.strip() or None if result.returncode == 0 else None


def log(root: Path, since: str | None = None, paths: Sequence[str] = (".",)) -> list[LogEntry]:
    """Commits reachable from HEAD and not from `since` that touch `paths`, newest first."""
    revs = f"{since}..HEAD" if since else "HEAD"
    result = _git(root, "log", "--format=%H%x1f%s%x1f%b%x1e", revs, "--", *paths)
    if result.returncode:
        return []
    entries = []
    for record in result.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 3:
            entries.append(LogEntry(fields[0], fields[1], fields[2].strip()))
    return entries


@dataclass(frozen=True)
class Logged:
    """A commit of HEAD's history with its parents and the files it changes (relative to the top of
    the work tree; for a merge, none: `merge_changes` answers those per parent)."""

    entry: LogEntry
    parents: tuple[str, ...]
    files: tuple[str, ...]


def history(top: Path) -> list[Logged]:
    """Every commit reachable from HEAD, in `git log`'s order, with the files each one changes
    against its parent (a root commit: against the empty tree). Renames are an added and a deleted
    path, as a path-limited `git log` sees them; names are raw (-z) and, run at `top`, from the top
    whatever diff.relative says."""
    fmt = "--format=%x1e%H %P%x1f%s%x1f%b%x1f"
    args = ["log", fmt, "-z", "--name-only", "--no-renames", "--root", "HEAD", "--"]
    result = _git(top, *args)
    if result.returncode:
        raise GitError(f"git log failed: {result.stderr.strip()}", detail=result.stderr)
    found = []
    for record in result.stdout.split("\x1e")[1:]:
        shas, subject, body, names = record.split("\x1f", 3)
        sha, *parents = shas.split()
        found.append(Logged(LogEntry(sha, subject, body.strip()), tuple(parents), tuple(_names(names))))
    return found


def _names(text: str) -> list[str]:
    """The NUL-ended names after a record's header (which -z ends with a NUL and a newline)."""
    text = text.lstrip("\0")
    return [n for n in (text[1:] if text.startswith("\n") else text).split("\0") if n]


def merge_changes(top: Path, pairs: Sequence[tuple[str, str]]) -> list[set[str]]:
    """For each (merge, one of its parents), the files that differ between them: one
    `git diff-tree --stdin` for all pairs (--always: an empty difference still has its record)."""
    if not pairs:
        return []
    stdin = "".join(f"{merge} {parent}\n" for merge, parent in pairs)
    args = ["diff-tree", "--stdin", "--always", "-r", "--name-only", "--no-renames"]
    result = _git(top, *args, "-z", "--format=%x1e", given=stdin)
    records = result.stdout.split("\x1e")[1:]
    if result.returncode or len(records) != len(pairs):
        raise GitError(f"git diff-tree failed: {result.stderr.strip()}", detail=result.stderr)
    return [set(_names(r)) for r in records]


def dirty(root: Path) -> list[Path]:
    """Paths under `root` that differ from HEAD, untracked ones included (ignored ones not)."""
    top = toplevel(root)
    result = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", ".")
    if top is None or result.returncode:
        return []
    # porcelain paths are relative to the top of the work tree; a rename adds its old path after a NUL
    records = iter(result.stdout.split("\0"))
    found = []
    for record in records:
        if record:
            found.append(top / record[3:])
            if record[0] in "RC":
                next(records, None)
    return found


def files(root: Path) -> list[str]:
    """Files under `root` (relative to it) that git tracks or would track: what a build sees."""
    out = _must(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    return sorted({f for f in out.split("\0") if f and (root / f).is_file()})


def _identity(root: Path) -> list[str]:
    """CI runners often have no git identity: commit as shipyard there rather than fail."""
    if _git(root, "var", "GIT_COMMITTER_IDENT").returncode == 0:
        return []
    return ["-c", "user.name=shipyard", "-c", "user.email=shipyard@localhost"]


def _dated(epoch: int | None) -> dict[str, str]:
    if epoch is None:
        return {}
    return {"GIT_AUTHOR_DATE": f"@{epoch} +0000", "GIT_COMMITTER_DATE": f"@{epoch} +0000"}


def commit_tree(root: Path, files: Mapping[str, bytes], message: str, *, epoch: int | None) -> str:
    """A commit of HEAD's tree with `files` (relative to `root`) replaced, child of HEAD, dated
    `epoch`; made in a private index, so neither the branch, the index nor a file changes. The same
    inputs give the same commit: a re-run finds the release commit it built from. Plumbing runs no
    commit hooks: a hook that rewrote a file would commit something other than what shipped."""
    top = toplevel(root)
    if top is None:
        raise GitError(f"{root} is not in a git repository")
    base = root.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="shipyard-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _must(top, "read-tree", "HEAD", env=env)
        for rel, data in sorted(files.items()):
            path = (base / rel).as_posix()
            blob = _must_input(top, data, "hash-object", "-w", "--stdin").strip()
            listed = _git(top, "ls-files", "-s", "--", path, env=env).stdout.split()
            mode = listed[0] if listed else "100644"
            _must(top, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = _must(top, "write-tree", env=env).strip()
    parent = _must(top, "rev-parse", "HEAD").strip()
    made = _must_input(
        top,
        message.strip().encode() + b"\n",
        *_identity(top),
        "commit-tree",
        tree,
        "-p",
        parent,
        env=_dated(epoch),
    )
    return made.strip()


def _must_input(root: Path, data: bytes, *args: str, env: Mapping[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, input=data, capture_output=True, check=False, env=child_env(env)
    )
    if result.returncode:
        said = result.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {said[-1] if said else 'no output'}")
    return result.stdout.decode(errors="replace")


def show(root: Path, rev: str, path: str) -> bytes | None:
    """The content of `path` (relative to `root`) at `rev`, or None when it has no such file."""
    result = subprocess.run(
        ["git", "show", f"{rev}:./{path}"], cwd=root, capture_output=True, check=False, env=child_env()
    )
    return result.stdout if result.returncode == 0 else None


def move_head(root: Path, new: str, old: str) -> None:
    """Point HEAD (its branch, when on one) at `new`, only if it is still at `old`."""
    _must(root, "update-ref", "-m", "shipyard release", "HEAD", new, old)


def reset_index(root: Path, rev: str, paths: Sequence[str]) -> None:
    """The index entries of `paths` as they are at `rev` (the files themselves are not touched)."""
    _must(root, "reset", "-q", rev, "--", *paths)


def git_path(root: Path, name: str) -> Path:
    """Where git keeps `name` (index.lock, refs/tags/v1.lock...): in this worktree's git directory
    or in the common one, as git itself decides."""
    return Path(_must(root, "rev-parse", "--path-format=absolute", "--git-path", name).strip())


def worktree_add(root: Path, path: Path, rev: str) -> None:
    """A detached checkout of `rev` at `path`, its hooks not run (a build tree, not the user's)."""
    _must(root, "-c", f"core.hooksPath={os.devnull}", "worktree", "add", "-q", "--detach", str(path), rev)


def reset_hard(tree: Path, rev: str) -> None:
    """Check out `rev` in `tree` (a detached build worktree of shipyard's own, never the user's)."""
    _must(tree, "reset", "-q", "--hard", rev)


def worktree_remove(root: Path, path: Path) -> None:
    _git(root, "worktree", "remove", "--force", str(path))
    _git(root, "worktree", "prune")


def create_tag(root: Path, tag: str, message: str, rev: str = "HEAD") -> None:
    """An annotated tag on `rev` (after `--`: a name is never read as an option)."""
    _must(root, *_identity(root), "tag", "--annotate", "--no-sign", "-m", message, "--", tag, rev)


def valid_ref(root: Path, ref: str) -> bool:
    """Whether `ref` (refs/tags/NAME, refs/heads/NAME) is a name git accepts, and no option."""
    name = ref.split("/", 2)[-1]
    return not name.startswith("-") and _git(root, "check-ref-format", ref).returncode == 0


PUSH_CREDENTIALS = ("GITHUB_TOKEN", "SHIPYARD_PUSH_TOKEN")  # what a push's credential helper may read


def push(root: Path, remote: str, refs: Sequence[str]) -> None:
    """Push `refs` atomically: all of them land or none."""
    # the ssh agent and a CI's push token (read by the credential helper a generated workflow sets
    # for the step) are the push's alone; with a token, git runs no hook for it (project code)
    handed = {k: os.environ[k] for k in PUSH_CREDENTIALS if os.environ.get(k)}
    agent = {k: os.environ[k] for k in ("SSH_AUTH_SOCK",) if k in os.environ}
    unhooked = ("-c", f"core.hooksPath={os.devnull}", "push", "--no-verify") if handed else ("push",)
    try:
        _must(
            root, *unhooked, "--atomic", "--quiet", "--", remote, *refs, env={**agent, **handed}
        )  # a remote is never an option
    except GitError as exc:
        # the release is on the index and recorded here: what is left is this one command
        again = f"git push --atomic {remote} {' '.join(refs)}"
        said = exc.message.split(": ", 1)[-1]  # git's own words (the command may start with -c)
        message = f"git push failed: {said}; nothing was pushed: push it with {again}"
        raise GitError(message, detail=exc.detail) from None


def last_change(root: Path, path: str, regex: str) -> str | None:
    """The newest commit whose change to `path` adds or removes a line matching `regex` (git log -G)."""
    result = _git(root, "log", "-1", "--format=%H", f"-G{regex}", "--", path)
    return (result.stdout.strip() or None) if result.returncode == 0 else None


def changed_since(root: Path, commits: Sequence[str]) -> dict[str, set[str]]:
    """For each commit, the files (relative to the top of the work tree) that differ at HEAD.

    One `git diff-tree --stdin` answers every pair, so a repository of a thousand packages with as
    many tags costs one process, not a thousand.
    """
    wanted = sorted(set(commits))
    if not wanted:
        return {}
    head_sha = head(root)
    stdin = "".join(f"{c} {head_sha}\n" for c in wanted)
    result = _git(root, "diff-tree", "-r", "--name-only", "-z", "--stdin", given=stdin)
    if result.returncode:
        raise GitError(f"git diff-tree failed: {result.stderr.strip()}", detail=result.stderr)
    # output per pair that differs: "<a>\0", then the names, each ending in \0
    found: dict[str, set[str]] = {c: set() for c in wanted}
    current: set[str] | None = None
    for item in result.stdout.split("\0"):
        item = item.strip("\n")
        if item in found:
            current = found[item]
        elif item and current is not None:
            current.add(item)
    return found


def commit_files(root: Path, sha: str) -> set[str]:
    """The files one commit changes against its first parent (relative to the top of the work tree)."""
    result = _git(root, "diff-tree", "--root", "--no-commit-id", "-r", "--name-only", "-z", sha)
    return set(_names(result.stdout)) if result.returncode == 0 else set()
