"""Commit messages -> changes: Conventional Commits, and package-auto-assembler's `[pkg]` syntax.

Conventional: `fix:` patch, `feat:` minor, `type!:` or a `BREAKING CHANGE:` footer major; other types
do not release. Packaging repository: `[pkg] note; note` patch, `[pkg][..+]` patch, `[pkg][.+.]`
minor, `[pkg][+..]` major, `[pkg][1.2.3]` exactly that version. A bracket that is not one of those is
an error, never a silent no-bump (a skipped bump ends in a duplicate upload).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import Version

from shipyard.errors import UsageError
from shipyard.plan.versions import Bump, parse_version

PARSERS = ("conventional", "paa", "both")


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    body: str = ""

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class Change:
    """What one commit says about one package."""

    commit: Commit
    bump: Bump
    kind: str  # the conventional type ("feat", "fix", ...), "breaking", or "note" for [pkg] messages
    notes: tuple[str, ...]
    exact: Version | None = None  # [pkg][1.2.3]

    def as_json(self) -> dict[str, object]:
        return {
            "commit": self.commit.sha,
            "subject": self.commit.subject,
            "kind": self.kind,
            "bump": "exact" if self.exact else self.bump.label,
            "version": str(self.exact) if self.exact else None,
            "notes": list(self.notes),
        }


_HEADER = re.compile(r"(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?: +(?P<text>\S.*)")
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE: *(?P<text>.*)$", re.MULTILINE)
_TYPE_BUMPS = {"feat": Bump.MINOR, "fix": Bump.PATCH, "perf": Bump.PATCH}


def conventional(commit: Commit) -> Change | None:
    """The change a Conventional Commits message describes, or None if it is not one."""
    header = _HEADER.fullmatch(commit.subject.strip())
    if header is None:
        return None
    kind = header["type"].lower()
    text = header["text"].strip()
    if header["scope"]:
        text = f"{header['scope']}: {text}"
    footer = _BREAKING.search(commit.body)
    if header["bang"] or footer:
        notes = (text, footer["text"].strip()) if footer and footer["text"].strip() else (text,)
        return Change(commit, Bump.MAJOR, "breaking", notes)
    return Change(commit, _TYPE_BUMPS.get(kind, Bump.NONE), kind, (text,))


# a [pkg] tag starts the message, a line, or follows whitespace or `;` (so `list[int]` is no tag)
_PAA = re.compile(r"(?:^|(?<=[\s;]))\[(?P<pkg>[A-Za-z0-9][A-Za-z0-9._-]*)\](?:\[(?P<spec>[^\]\n]*)\])?")
_SPECS = {"..+": Bump.PATCH, ".+.": Bump.MINOR, "+..": Bump.MAJOR}


def paa(commit: Commit, package: str, *, strict: bool = True) -> Change | None:
    """The change a `[pkg][spec] note; note` message describes for `package`, or None."""
    message = f"{commit.subject}\n{commit.body}".strip()
    found = list(_PAA.finditer(message))
    want = canonicalize_name(package)
    bump, exact, notes, mentioned = Bump.NONE, None, [], False
    for i, tag in enumerate(found):
        if canonicalize_name(tag["pkg"]) != want:
            continue
        mentioned = True
        end = found[i + 1].start() if i + 1 < len(found) else len(message)
        notes += [n.strip() for n in re.split(r"[;\n]", message[tag.end() : end]) if n.strip()]
        spec = (tag["spec"] or "..+").strip()
        if spec in _SPECS:
            bump = max(bump, _SPECS[spec])
        elif re.fullmatch(r"v?[0-9][0-9A-Za-z.!+_-]*", spec):
            exact = parse_version(spec.lstrip("v"), f"commit {commit.short}: [{tag['pkg']}][{spec}]")
        elif strict:
            raise UsageError(
                f"commit {commit.short}: '[{tag['pkg']}][{spec}]' is not a bump: use [..+], [.+.], [+..] "
                "or a version like [1.2.3] (or decide with --bump patch|minor|major)"
            )
    if not mentioned:
        return None
    # no bracket means a patch; an exact version stands on its own
    return Change(commit, max(bump, Bump.PATCH) if exact is None else bump, "note", tuple(notes), exact)


def changes(commits: Iterable[Commit], package: str, parser: str, *, strict: bool = True) -> list[Change]:
    """Every commit's change for `package`, newest first (the order git log gives)."""
    if parser not in PARSERS:
        raise UsageError(f"commit-parser must be one of {', '.join(PARSERS)}, not {parser!r}")
    found = []
    for commit in commits:
        change = paa(commit, package, strict=strict) if parser in ("paa", "both") else None
        if change is None and parser in ("conventional", "both"):
            change = conventional(commit)
        if change is not None:
            found.append(change)
    return found
