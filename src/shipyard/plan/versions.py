"""PEP 440 versions, tag patterns and bump rules: pure functions, no git, no files.

Versions are `packaging.version.Version`s; a string only becomes a version here, so an invalid one is
refused with the place it came from rather than skipped.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard.errors import UsageError
from shipyard.readers import tag_pattern


class Bump(enum.IntEnum):
    """How much a change moves the version; the largest change since the last release wins."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


# pre-release kinds `--pre` accepts, as PEP 440 spells them
PRE_KINDS = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "rc": "rc", "c": "rc", "dev": "dev"}


def parse_version(text: str, what: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise UsageError(
            f"{what} '{text}' is not a valid PEP 440 version (such as 1.2.3, 1.2.3rc1 or 2.0.0.post1)"
        ) from None


def bumped(base: Version, bump: Bump, *, major_on_zero: bool = False) -> Version:
    """`base` moved by `bump`. Under 1.0 a breaking change bumps the minor unless `major_on_zero`
    (SemVer: 0.y.z may change at any time; python-semantic-release's `major_on_zero = false`)."""
    major, minor, patch = (*base.release, 0, 0)[:3]
    if bump is Bump.MAJOR and major == 0 and not major_on_zero:
        bump = Bump.MINOR
    if bump is Bump.MAJOR:
        parts = (major + 1, 0, 0)
    elif bump is Bump.MINOR:
        parts = (major, minor + 1, 0)
    elif bump is Bump.PATCH:
        parts = (major, minor, patch + 1)
    else:
        return base
    epoch = f"{base.epoch}!" if base.epoch else ""
    return Version(epoch + ".".join(map(str, parts)))


def pre_release(target: Version, kind: str, released: Iterable[Version]) -> Version:
    """The next `kind` pre-release of `target`: 1.3.0rc1, then 1.3.0rc2 once rc1 is tagged."""
    spelled = PRE_KINDS.get(kind.lower())
    if spelled is None:
        raise UsageError(f"--pre {kind}: use one of a, b, rc or dev")
    numbers = [0]
    for v in released:
        if v.release != target.release or v.epoch != target.epoch:
            continue
        if spelled == "dev" and v.dev is not None and v.pre is None:
            numbers.append(v.dev)
        elif v.pre is not None and v.pre[0] == spelled:
            numbers.append(v.pre[1])
    suffix = f".dev{max(numbers) + 1}" if spelled == "dev" else f"{spelled}{max(numbers) + 1}"
    return Version(target.base_version + suffix)


@dataclass(frozen=True)
class TagPattern:
    """A tag pattern such as `v{version}`, `release/{version}` or `{package}-v{version}`."""

    pattern: str

    def __post_init__(self) -> None:
        tag_pattern(self.pattern)

    @property
    def has_package(self) -> bool:
        return "{package}" in self.pattern

    def format(self, version: Version | str, package: str) -> str:
        return self.pattern.replace("{package}", package).replace("{version}", str(version))

    def match(self, tag: str, package: str) -> str | None:
        """The version text of `tag` when it is one of `package`'s tags, else None."""
        found = _compiled(self.pattern, (package,) if self.has_package else ()).fullmatch(tag)
        return found["version"] if found else None


def _name_regex(name: str) -> str:
    """A package name as a tag may spell it: any case, `-`, `_` and `.` alike (PEP 503 names)."""
    return "(?i:" + "[-_.]+".join(re.escape(p) for p in re.split(r"[-_.]+", name)) + ")"


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str, names: tuple[str, ...] = ()) -> re.Pattern[str]:
    """The pattern as a regex. With `names`, `{package}` is one of them, longest first, so that a
    name holding `_` or `-` is never split into name and version (`v0.3.0_mocker_db`); it may end
    in `.py` (package-auto-assembler's early tags name the module file: `v0.0.10_mocker_db.py`)."""
    parts = re.split(r"(\{version\}|\{package\})", pattern)
    package = r"(?P<package>[A-Za-z0-9][A-Za-z0-9._-]*?)"
    if names:
        ordered = sorted({_name_regex(n) for n in names}, key=len, reverse=True)
        package = f"(?P<package>{'|'.join(ordered)})(?:\\.py)?"
    groups = {"{version}": r"(?P<version>[0-9][0-9A-Za-z.!+_-]*)", "{package}": package}
    return re.compile("".join(groups.get(p, re.escape(p)) for p in parts))


@dataclass(frozen=True)
class Tagged:
    tag: str
    version: Version
    commit: str


def released(tags: Iterable[tuple[str, str]], pattern: TagPattern, package: str) -> list[Tagged]:
    """The (tag, commit) pairs that are releases of `package`, oldest version first.

    A tag that fits the pattern but holds no PEP 440 version is not a release (`v-next`); it is left
    out rather than refused, because it cannot have come from shipyard.
    """
    found = []
    for tag, commit in tags:
        text = pattern.match(tag, package)
        if text is None:
            continue
        try:
            found.append(Tagged(tag, Version(text), commit))
        except InvalidVersion:
            continue
    return sorted(found, key=lambda t: t.version)


def released_by_package(
    tags: Iterable[tuple[str, str]], pattern: TagPattern, names: Collection[str] = ()
) -> dict[str, list[Tagged]]:
    """For a `{package}` pattern: every package's releases (canonical name -> oldest version first),
    in one pass over the tags, so that a thousand packages do not read a thousand tags each.
    `names`: the known packages, which anchor `{package}` (without them a name ends where the rest
    of the pattern first fits)."""
    regex = _compiled(pattern.pattern, tuple(sorted(names)))
    found: dict[str, list[Tagged]] = {}
    for tag, commit in tags:
        match = regex.fullmatch(tag)
        if match is None or "package" not in match.groupdict():
            continue
        try:
            version = Version(match["version"])
        except InvalidVersion:
            continue
        found.setdefault(canonicalize_name(match["package"]), []).append(Tagged(tag, version, commit))
    return {name: sorted(items, key=lambda t: t.version) for name, items in found.items()}
