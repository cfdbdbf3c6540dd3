"""CHANGELOG.md updates at release time, in Keep a Changelog 1.1.0 style.

A release's notes should land in the changelog as part of the release, next to whatever the user
already wrote under "Unreleased", without disturbing the rest of a hand-edited file. Pure text in,
text out: the caller reads and writes the file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence

SECTION_ORDER: tuple[str, ...] = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")

_NEW = (
    "# Changelog\n\n"
    "All notable changes to this project will be documented in this file.\n\n"
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n"
    "and this project's version numbers follow [PEP 440](https://peps.python.org/pep-0440/).\n\n"
    "## [Unreleased]\n\n"
)
_H2 = re.compile(r"##(?:[ \t]|$)")
_H3 = re.compile(r"###[ \t]+(.*?)[ \t]*$")
_UNRELEASED = re.compile(r"##[ \t]+\[?unreleased\]?[ \t]*$", re.IGNORECASE)
_LINK_DEF = re.compile(r" {0,3}\[[^\]]+\]:[ \t]*\S")
_BULLET = re.compile(r"[-*+][ \t]+(.*)")


def release_date(epoch: int | None) -> str:
    """The date a release section shows: the build's (SOURCE_DATE_EPOCH), else today, in UTC."""
    return time.strftime("%Y-%m-%d", time.gmtime(epoch if epoch is not None else time.time()))


def section(version: str, date: str, entries: Mapping[str, Sequence[str]]) -> str:
    """The Markdown block for one release: '## [1.3.0] - 2026-11-21' then one '### Heading' per
    non-empty entry list, in SECTION_ORDER (unknown headings after those, in the given order), each
    entry a '- ' bullet. Multi-line entries are indented so they stay inside the bullet. Ends with one
    blank line."""
    groups: dict[str, list[str]] = {}
    for heading, items in entries.items():
        groups.setdefault(_canonical(heading), []).extend(_bullet(e) for e in items if e.strip())
    return _render(version, date, "", groups)


def update(text: str | None, version: str, date: str, entries: Mapping[str, Sequence[str]]) -> str:
    """The changelog with a new release section added.

    `text` None or blank: a new changelog. Otherwise the new section goes right after the Unreleased
    section, taking over its contents (merged by '###' heading), or, without one, before the first
    release. Everything else is kept as it was. ValueError if `version` already has a section.
    """
    if text is None or not text.strip():
        return (_NEW + section(version, date, entries)).rstrip() + "\n"
    crlf = "\r\n" in text
    lines = text.replace("\r\n", "\n").split("\n")
    h2 = [i for i, _ in _headings(lines, _H2)]
    same = re.compile(rf"##[ \t]+\[?v?{re.escape(version)}\]?(?![\w.+-])", re.IGNORECASE)
    if any(same.match(lines[i]) for i in h2):
        raise ValueError(f"CHANGELOG already has a section for {version}")
    end = _footer(lines)  # the link reference definitions at the bottom stay at the bottom
    unreleased = next((i for i in h2 if _UNRELEASED.match(lines[i])), None)
    if unreleased is None:
        at = h2[0] if h2 else end
        before, new, after = lines[:at], section(version, date, entries), lines[at:]
        if before and before[-1].strip():
            before.append("")
    else:
        stop = next((i for i in h2 if i > unreleased), end)
        before, after = [*lines[: unreleased + 1], ""], lines[stop:]
        new = _render(version, date, *_merge(lines[unreleased + 1 : stop], entries))
    result = "".join(line + "\n" for line in before) + new + "\n".join(after)
    result = result.rstrip() + "\n"
    return result.replace("\n", "\r\n") if crlf else result


def _canonical(heading: str) -> str:
    """'fixed' -> 'Fixed'; headings not in SECTION_ORDER as written."""
    name = heading.strip()
    return next((known for known in SECTION_ORDER if known.lower() == name.lower()), name)


def _bullet(entry: str) -> str:
    first, *rest = entry.replace("\r\n", "\n").strip().split("\n")
    return "\n".join([f"- {first}", *(f"  {line}" if line.strip() else "" for line in rest)])


def _render(version: str, date: str, preamble: str, groups: Mapping[str, Sequence[str]]) -> str:
    """The release section: heading, free text, then each non-empty group's chunks under its heading."""
    names = [name for name in SECTION_ORDER if groups.get(name)]
    names += [name for name, chunks in groups.items() if chunks and name not in SECTION_ORDER]
    parts = [f"## [{version}] - {date}\n\n"]
    if preamble:
        parts.append(preamble + "\n\n")
    parts += [f"### {name}\n\n" + "\n".join(groups[name]) + "\n\n" for name in names]
    return "".join(parts)


def _merge(body: list[str], entries: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, list[str]]]:
    """The Unreleased section's free text, and its '###' groups (kept as written) with the new entries
    appended as bullets, except those the user already wrote."""
    h3 = _headings(body, _H3)
    preamble = _trim(body[: h3[0][0] if h3 else len(body)])
    groups: dict[str, list[str]] = {}
    written: dict[str, set[str]] = {}
    for n, (i, match) in enumerate(h3):
        chunk = body[i + 1 : h3[n + 1][0] if n + 1 < len(h3) else len(body)]
        name, written_text = _canonical(match.group(1)), _trim(chunk)
        groups.setdefault(name, []).extend([written_text] if written_text else [])
        written.setdefault(name, set()).update(_bullet_texts(chunk))
    for heading, items in entries.items():
        name = _canonical(heading)
        seen = written.get(name, set())
        new = [_bullet(e) for e in items if e.strip() and _key(e) not in seen]
        groups.setdefault(name, []).extend(new)
    return preamble, groups


def _headings(lines: Sequence[str], pattern: re.Pattern[str]) -> list[tuple[int, re.Match[str]]]:
    """The lines matching `pattern`, with their index, outside fenced code blocks."""
    found: list[tuple[int, re.Match[str]]] = []
    fence = ""
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if fence:
            fence = "" if stripped.startswith(fence) else fence
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif match := pattern.match(line):
            found.append((i, match))
    return found


def _footer(lines: Sequence[str]) -> int:
    """Where the trailing run of link reference definitions starts (len(lines) if there is none)."""
    start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if _LINK_DEF.match(lines[i]):
            start = i
        elif lines[i].strip():
            break
    return start


def _bullet_texts(lines: Sequence[str]) -> set[str]:
    """The comparison keys of the top-level bullets in `lines`, continuation lines included."""
    texts: set[str] = set()
    current: list[str] = []
    for line in [*lines, ""]:
        if line.startswith((" ", "\t")) and current:
            current.append(line)
            continue
        if current:
            texts.add(_key("\n".join(current)))
        match = _BULLET.match(line)
        current = [match.group(1)] if match else []
    return texts


def _key(text: str) -> str:
    """Whitespace-insensitive: entries that render the same compare equal."""
    return " ".join(text.split())


def _trim(lines: Sequence[str]) -> str:
    """The lines joined, without leading and trailing blank lines."""
    kept = [i for i, line in enumerate(lines) if line.strip()]
    return "\n".join(lines[kept[0] : kept[-1] + 1]) if kept else ""
