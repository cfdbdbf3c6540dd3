"""What must never ship inside a dist: credential files (by name) and credentials (by content).

A backend packs every file git does not ignore (hatchling) or its manifest names (setuptools), so a
`.env.production` or a module holding a literal token goes to the index with the release, where it
can never be taken back. Each finding names the dist, the file (and line) and the fix, never the
secret: a token is shown as its first 8 characters. `allow-files` lists the false alarms (paths
inside the dist, or globs such as `tests/fixtures/*.pem`).
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from shipyard.dists import Dist
from shipyard.secrets import holds_credential

MAX_SCAN = 5_000_000  # bytes of one member scanned for tokens: past that it is data, not config
ALLOW_LINE = b"shipyard: fake-token"  # doctor's marker: a line that holds a documented fake token
FIX = "remove it from the build (.gitignore, or the backend's excludes), build again and rotate what it held"
ALLOW = "if it is a false alarm, list it in allow-files"
HELD = (
    "a credential shipyard holds in this run is in it (a link to /proc/self/environ or to a file "
    "outside the project, a copied .env...): take it out of the build and build again"
)
FORK_MIN = 32 << 20  # bytes of dists worth a second process (below it the fork costs what it saves)
_OVERLAP = 4096  # bytes kept between chunks: longer than any credential value

# what shipyard's own runs leave behind, and repositories: refused by path part, never allowed
_NEVER = {".git": "a git repository", ".shipyard": "shipyard's state and local index"}
# credential files, by file name
_NAMES = (
    (re.compile(r"\.env(\..+)?|\.envrc"), "a .env file (credentials)"),
    (re.compile(r"[._]netrc"), "a netrc file (credentials)"),
    (re.compile(r"\.pypirc.*"), "a .pypirc (index credentials)"),
    (re.compile(r"\.git-credentials"), "a git credential store"),
    (re.compile(r"id_(rsa|dsa|ecdsa|ed25519)(?!.*\.pub$).*"), "an SSH private key"),
)
# credentials, by content (each shown by its first 8 characters only). Each pattern starts with a
# literal, which the regex engine searches for (a memchr-speed skip): a leading lookbehind or group
# would make it try every byte, 50 times slower on a 2 MB member. The AWS key's "no letter or digit
# before" is checked after its literal `A`, at the same position, so it finds what it always found.
_TOKENS = (
    (re.compile(rb"pypi-AgE[A-Za-z0-9_\-]{40,}"), "a PyPI token"),
    # both of GitHub's shapes in one pass over the member (its literal `gh` is the skip)
    (re.compile(rb"gh(?:[pousr]_[A-Za-z0-9]{36}|ithub_pat_[A-Za-z0-9_]{22,})"), "a GitHub token"),
    (re.compile(rb"glpat-[A-Za-z0-9_\-]{20,}"), "a GitLab token"),
    (re.compile(rb"A(?<![A-Z0-9]A)[KS]IA[A-Z0-9]{16}(?![A-Z0-9])"), "an AWS access key id"),
    (re.compile(rb"-----BEGIN ([A-Z]+ )*PRIVATE KEY-----"), "a private key"),
)


def each(dists: Sequence[Dist], allow: Sequence[str] = ()) -> list[list[str]]:
    """`problems` of every dist, two at a time: zlib inflates one member while the regex engine,
    which holds the GIL, searches another's text. A release of FORK_MIN bytes or more is shared
    with a forked child where that is cheap and safe (`_forkable`): the regex runs on two cores."""
    if len(dists) > 1 and _forkable(dists):
        return _forked(list(dists), allow)
    return _threads(dists, allow)


def _threads(dists: Sequence[Dist], allow: Sequence[str]) -> list[list[str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda dist: _readable(dist, allow), dists))


def _serial(dists: Sequence[Dist], allow: Sequence[str]) -> list[list[str]]:
    return [_readable(dist, allow) for dist in dists]


def _forkable(dists: Sequence[Dist]) -> bool:
    """Linux, two cores or more, FORK_MIN bytes to scan, and no other thread running: a fork copies
    only the calling thread, and a lock another one held would stay locked in the child (a
    deadline's timer that was cancelled holds none)."""
    if sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2:
        return False
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if threading.current_thread() is not threading.main_thread():
        return False
    if any(not (isinstance(t, threading.Timer) and t.finished.is_set()) for t in others):
        return False
    return sum(d.size for d in dists) >= FORK_MIN


def _forked(dists: list[Dist], allow: Sequence[str]) -> list[list[str]]:
    """Every other dist scanned by a forked child, its findings sent back through a pipe; the rest
    here. Each side scans one dist after another: a second thread would only contend for the GIL
    (82 MB: threads 176 ms, one after another 176 ms, forked 122 ms with threads, 101 ms without).
    A child that fails leaves its share to be scanned here, as without it."""
    theirs, mine = dists[1::2], dists[0::2]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child scans, answers and leaves: none of the parent's exit handlers or buffers
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "w", encoding="utf-8") as pipe:
                json.dump(_serial(theirs, allow), pipe)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    here = _serial(mine, allow)
    with os.fdopen(read, encoding="utf-8") as pipe:
        try:
            there: object = json.load(pipe)
        except ValueError:  # the child died before it answered
            there = None
    _, status = os.waitpid(pid, 0)
    if status != 0 or not isinstance(there, list) or len(there) != len(theirs):
        there = _serial(theirs, allow)
    return [here[i // 2] if i % 2 == 0 else there[i // 2] for i in range(len(dists))]


def _readable(dist: Dist, allow: Sequence[str]) -> list[str]:
    """`problems`, or why a member of `dist` cannot be read whole (a bad CRC, a cut stream): what
    cannot be read cannot be said to hold no credential."""
    try:
        return problems(dist, allow)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zlib.error) as exc:
        return [f"{dist.filename} cannot be read whole ({exc}): build it again"]


def problems(dist: Dist, allow: Sequence[str] = ()) -> list[str]:
    """Every credential file and credential in `dist` not allowed by `allow`, as one line each."""
    found: list[str] = []
    never: dict[str, str] = {}
    named: set[str] = set()  # a credential folder (a venv called .env) is reported once
    for name, read in _members(dist):
        head = read.read(MAX_SCAN)
        if _holds_credential(head, read):  # never allowed: no project ships the key it publishes with
            found.append(f"{dist.filename} contains a credential's value in {name}: {HELD}")
            continue
        parts = name.split("/")
        if hit := next((p for p in parts if p in _NEVER), None):
            if not (parts[-1] == ".git" and _gitlink(head)):
                never.setdefault(hit, name)
            continue
        if allowed(name, allow):
            continue
        if kind := _named(parts):
            where, what = kind
            if where not in named:
                named.add(where)
                found.append(f"{dist.filename} contains {what}: {where}: {FIX}; {ALLOW}")
            continue
        found += [f"{dist.filename} contains {hit} in {name}: {FIX}; {ALLOW}" for hit in _scan(head)]
    for part, example in never.items():
        found.insert(
            0,
            f"{dist.filename} contains {_NEVER[part]} ({example}): add {part} to .gitignore "
            "or to the build backend's excludes, then build again",
        )
    return found


def _holds_credential(head: bytes, rest: IO[bytes]) -> bool:
    """Whether the member (its first MAX_SCAN bytes read, then the rest) holds a credential's value:
    read whole, in chunks that overlap by less than the longest value's length."""
    if holds_credential(head):
        return True
    tail = head[-_OVERLAP:]
    while chunk := rest.read(MAX_SCAN):
        if holds_credential(tail + chunk):
            return True
        tail = chunk[-_OVERLAP:]
    return False


def _gitlink(head: bytes) -> bool:
    """Whether a `.git` file is a submodule's pointer (`gitdir: ../.git/modules/x`, some 40 bytes,
    which setuptools' `graft` packs): a path, not a repository, and nothing to leak."""
    data = head[:1025]
    return len(data) <= 1024 and data.startswith(b"gitdir: ") and data.count(b"\n") <= 1


def _named(parts: list[str]) -> tuple[str, str] | None:
    """(the path up to the credential file or folder, what it is) if a part of the path is one."""
    for i, part in enumerate(parts):
        for pattern, what in _NAMES:
            if pattern.fullmatch(part):
                return "/".join(parts[: i + 1]), what
    return None


def allowed(name: str, allow: Sequence[str]) -> bool:
    """Whether the member path `name` is listed in `allow`: exactly, or matching a glob."""
    return any(name == pattern or fnmatch.fnmatchcase(name, pattern) for pattern in allow)


def _scan(data: bytes) -> Iterator[str]:
    """`line N: a GitHub token (ghp_abcd...)` for each token in the member's first MAX_SCAN bytes."""
    for pattern, what in _TOKENS:
        for match in pattern.finditer(data):
            start = data.rfind(b"\n", 0, match.start()) + 1
            end = data.find(b"\n", match.end())
            if ALLOW_LINE in data[start : end if end >= 0 else len(data)]:
                continue
            line = data.count(b"\n", 0, match.start()) + 1
            shown = match.group().decode("ascii", "replace")
            shown = shown if what == "a private key" else shown[:8] + "..."
            yield f"{what} ({shown}) at line {line}"


def _members(dist: Dist) -> Iterator[tuple[str, IO[bytes]]]:
    """(path inside the dist, its bytes) for every regular file; sdists without their top folder."""
    if dist.kind == "wheel":
        with zipfile.ZipFile(dist.path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    with zf.open(info) as member:
                        yield info.filename, member
        return
    with tarfile.open(dist.path) as tf:
        for entry in tf:
            name = entry.name.partition("/")[2]
            if entry.isfile() and (content := tf.extractfile(entry)) is not None:
                with content:
                    yield name, content
            elif name:  # a folder, link or device: only its name can say what it is
                yield name, io.BytesIO()
