"""`shipyard doctor`: a repository's release hygiene, as findings with a place, a rule, a level and a fix.

Checked: credential files tracked by git (`.env`, `.pypirc`, `.netrc`); PyPI tokens in tracked files
(the working tree's tracked files, and every commit's added lines when `history`); CI files that
show secrets in the log (`ci check`'s own rules on them); `.gitignore` entries a release needs; and
the project's name on the configured indexes (files there, but none of our versions: another project
may own the name). A token found is never shown: only where it is and a short prefix.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_version

from shipyard import events
from shipyard.ci.lint.check import secrets_shown
from shipyard.ci.lint.findings import ERROR, WARNING, Finding
from shipyard.dists import parse_filename
from shipyard.errors import ShipyardError
from shipyard.plan.versions import TagPattern, released
from shipyard.tools import git
from shipyard.tools.procenv import child_env

if TYPE_CHECKING:
    from shipyard.index.base import Index

# `pypi-` and a macaroon serialized in base64url: it starts with AgE (version 2, then a location)
PYPI_TOKEN = re.compile(r"pypi-AgE[A-Za-z0-9_\-]{40,}")
CREDENTIAL_FILES = (".env", ".pypirc", ".netrc")
# what a release needs ignored, and a path that stands for each
IGNORED = {".env": ".env", ".pypirc": ".pypirc", "dist/": "dist/x.whl", ".shipyard/": ".shipyard/state"}
# a line holding this marker is a known fake (test fixtures, documentation), not a leak
ALLOW = "shipyard: fake-token"
_MAX_SCAN = 5_000_000  # bytes of one file scanned for tokens: past that it is data, not config


def token_prefix(token: str) -> str:
    """What may be shown of a token: `pypi-` and three characters that every PyPI token shares."""
    return token[:8] + "..."


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
        env=child_env(),
    )


def tracked_files(root: Path) -> list[str] | None:
    """Files git tracks under `root` (relative to it); None outside a repository."""
    result = _git(root, "ls-files", "-z", "--cached", "--", ".")
    if result.returncode:
        return None
    return sorted(f for f in result.stdout.split("\0") if f)


def tracked_credential_files(files: Iterable[str]) -> list[Finding]:
    return [
        Finding(
            f,
            None,
            "tracked-credential-file",
            ERROR,
            f"{Path(f).name} is tracked by git: the credentials in it are in the repository",
            f"git rm --cached {f}, add {Path(f).name} to .gitignore, and rotate every credential it held",
        )
        for f in files
        if Path(f).name in CREDENTIAL_FILES
    ]


def tokens_in_files(root: Path, files: Iterable[str]) -> tuple[list[Finding], set[str]]:
    """PyPI tokens in the working tree's tracked files, and the tokens found (to skip in history)."""
    findings, seen = [], set()
    for rel in files:
        path = root / rel
        try:
            if not path.is_file() or path.stat().st_size > _MAX_SCAN:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"pypi-AgE" not in data:
            continue
        for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            for match in PYPI_TOKEN.finditer(text):
                seen.add(match[0])  # a marked fake is also not reported from the history
                if ALLOW not in text:
                    findings.append(_token_finding(rel, number, match[0], "is committed in this file"))
    return findings, seen


def _token_finding(rel: str, line: int | None, token: str, where: str) -> Finding:
    return Finding(
        rel,
        line,
        "committed-token",
        ERROR,
        f"a PyPI token ({token_prefix(token)}) {where}",
        "revoke it on the index now (it is leaked once pushed), remove it from the file, and keep "
        "tokens in SHIPYARD_<REPO>_TOKEN, an untracked .env or the CI's secret store",
    )


def tokens_in_history(root: Path, known: set[str]) -> list[Finding]:
    """PyPI tokens added by any commit (all refs), except those still in the working tree."""
    args = ["log", "--all", "-p", "--no-color", "--no-ext-diff", "-G", "pypi-AgE", "--format=%x01%h"]
    result = _git(root, *args)
    findings, reported = [], set()
    commit, rel = "", ""
    for line in result.stdout.splitlines() if result.returncode == 0 else []:
        if line.startswith("\x01"):
            commit = line[1:]
        elif line.startswith("+++ "):
            rel = line[4:].removeprefix("b/")
        elif line.startswith("+") and "pypi-AgE" in line and ALLOW not in line:
            for match in PYPI_TOKEN.finditer(line):
                if match[0] in known or match[0] in reported:
                    continue
                reported.add(match[0])
                where = f"was committed in {commit} (git history)"
                findings.append(_token_finding(rel, None, match[0], where))
    return findings


def missing_ignores(root: Path) -> list[Finding]:
    """`.gitignore` entries a release needs; only the repository's own ignore files count (not this
    machine's global excludes, which CI does not have)."""
    findings = []
    for entry, probe in IGNORED.items():
        result = _git(root, "-c", "core.excludesFile=/dev/null", "check-ignore", "-q", "--no-index", probe)
        if result.returncode == 1:
            findings.append(
                Finding(
                    ".gitignore",
                    None,
                    "missing-ignore",
                    WARNING,
                    f"{entry} is not ignored by git",
                    f"add a line '{entry}' to .gitignore so that it is never committed or put into an sdist",
                )
            )
    return findings


def examine(
    root: Path,
    *,
    history: bool = True,
    names: Sequence[NameCheck] = (),
    emit: events.Emit = events.ignore,
) -> list[Finding]:
    """Every finding for the project at `root`, errors first."""
    findings: list[Finding] = []
    files = tracked_files(root)
    if files is None:
        findings.append(
            Finding(
                ".", None, "no-git", WARNING, "not a git repository", "git init, so that releases have tags"
            )
        )
    else:
        events.step(emit, f"checking {len(files)} tracked files")
        findings += tracked_credential_files(files)
        found, seen = tokens_in_files(root, files)
        findings += found
        if history:
            findings += tokens_in_history(root, seen)
        findings += missing_ignores(root)
    findings += secrets_shown(root)
    for check in names:
        events.step(emit, f"checking the name {check.project} on {check.index.repository.name}")
        if finding := name_taken(check):
            findings.append(finding)
    return sorted(findings, key=lambda f: (f.level != ERROR, f.file, f.line or 0))


# ---------------------------------------------------------------- the name on the index


@dataclass(frozen=True)
class NameCheck:
    index: Index  # holding its credential, for indexes that need one to read
    project: str
    ours: frozenset[str]  # versions we released or declare


def our_versions(root: Path, tag_pattern: str, project: str, declared: str | None) -> frozenset[str]:
    tagged = released(git.tags(root, merged=False), TagPattern(tag_pattern), project)
    versions = {canonicalize_version(t.version) for t in tagged}
    if declared:
        versions.add(canonicalize_version(declared))
    return frozenset(versions)


def name_taken(check: NameCheck) -> Finding | None:
    repo = check.index.repository
    try:
        listing = check.index.read(check.project)
    except ShipyardError as exc:
        return Finding(
            "pyproject.toml",
            None,
            "index-unreadable",
            WARNING,
            f"could not read {repo.name} to check the name {check.project}: {exc.message}",
            "check the repository's simple-url, or run doctor with --no-index",
        )
    theirs = set()
    for filename in listing.files:
        try:
            theirs.add(canonicalize_version(parse_filename(filename)[2]))
        except ValueError:
            continue
    if not listing.files or theirs & check.ours:
        return None
    shown = ", ".join(sorted(theirs)[:5]) or "files that are not dists"
    return Finding(
        "pyproject.toml",
        None,
        "name-taken",
        WARNING,
        f"{repo.name} already serves {check.project} ({shown}), and none of those versions is ours: "
        "another project may own this name",
        "choose another [project] name, or, if that project is yours, tag its releases here",
    )


def counts(findings: Iterable[Finding]) -> Mapping[str, int]:
    found = list(findings)
    return {level: sum(f.level == level for f in found) for level in (ERROR, WARNING)}
