"""The files other release tools write the version into, read from their configuration, so that a
project coming from them keeps every copy of its version in step when the `version-files` option
is not set:

- python-semantic-release: `[tool.semantic_release] version_variables = ["PATH:NAME[:nf|:tf]"]`
  (NAME followed by `=`, `:`, `:=` or `@`, quoted or not; `tf` writes the tag, PSR's `tag_format`,
  default "v{version}") and `version_toml = ["PATH:dotted.key[:nf|:tf]"]`;
- commitizen: `[tool.commitizen] version_files = ["PATH", "PATH:REGEX"]` (the current version
  replaced, on the lines REGEX matches when given);
- bump-my-version: `[tool.bumpversion] files` / `[[tool.bumpversion.files]]` with `filename` (the
  current version replaced, as its default search and replace do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ConfigError
from shipyard.plan.source import Place, Toml, TomlVersion


@dataclass(frozen=True)
class Variable:
    """PSR's version variable: `NAME = "1.2.3"`, `"NAME": "1.2.3"`, `NAME: 1.2.3`, `NAME@1.2.3`;
    `tag`: how a tag-formatted value is written ("v{version}"), None for the bare version."""

    name: str
    tag: str | None = None

    @property
    def _pattern(self) -> re.Pattern[str]:
        name = re.escape(self.name)
        return re.compile(
            rf"^(?P<lead>[ \t]*['\"]?{name}['\"]?[ \t]*(?::=|=|:|@)[ \t]*)(?P<q>['\"]?)"
            rf"(?P<v>[^'\"\s,]+)(?P=q)",
            re.MULTILINE,
        )

    def read(self, text: str) -> str | None:
        found = self._pattern.search(text)
        return found["v"] if found else None

    def write(self, text: str, new: str) -> str | None:
        value = new if self.tag is None else self.tag.replace("{version}", new)
        found = self._pattern.search(text)
        if found is None:
            return None
        return text[: found.start("v")] + value + text[found.end("v") :]


@dataclass(frozen=True)
class Replace:
    """The current version, replaced wherever it stands (commitizen's and bump-my-version's way);
    `lines`: only on the lines this regex matches."""

    current: str
    lines: str | None = None

    def read(self, text: str) -> str | None:
        return self.current if self.current in text else None

    def write(self, text: str, new: str) -> str | None:
        if self.current not in text:
            return None
        if self.lines is None:
            return text.replace(self.current, new)
        matcher = re.compile(self.lines)
        out = [
            line.replace(self.current, new) if matcher.search(line) else line
            for line in text.splitlines(keepends=True)
        ]
        edited = "".join(out)
        return edited if edited != text else None


def _table(data: Toml, *keys: str) -> Toml:
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where} must be a list of strings: fix it in pyproject.toml")


def _psr(table: Toml) -> list[tuple[str, Place]]:
    where = "[tool.semantic_release]"
    tag = str(table.get("tag_format") or "v{version}")
    found: list[tuple[str, Place]] = []
    for key, toml in (("version_variables", False), ("version_toml", True)):
        for entry in _strings(table.get(key), f"{where} {key}"):
            path, _, rest = entry.partition(":")
            name, _, style = rest.partition(":")
            if not path or not name or style not in ("", "nf", "tf"):
                raise ConfigError(f"{where} {key} entry {entry!r} is not PATH:NAME[:nf|:tf]: fix it")
            written = tag if style == "tf" else None
            if toml:
                *dotted, last = name.split(".")
                fmt: Variable | TomlVersion = TomlVersion(tuple(dotted), last)
            else:
                fmt = Variable(name, written)
            found.append((f"{where} {key} {entry}", Place(path, fmt)))
    return found


def _commitizen(table: Toml, current: str | None) -> list[tuple[str, Place]]:
    where = "[tool.commitizen] version_files"
    entries = _strings(table.get("version_files"), where)
    if not entries or current is None:
        return []
    found = []
    for entry in entries:
        path, _, regex = entry.partition(":")
        found.append((f"{where} {entry}", Place(path, Replace(current, regex or None))))
    return found


def _bumpversion(table: Toml, current: str | None) -> list[tuple[str, Place]]:
    where = "[tool.bumpversion] files"
    current = str(table.get("current_version") or current or "") or None
    files = table.get("files")
    if not isinstance(files, list) or current is None:
        return []
    found = []
    for entry in files:
        path = entry.get("filename") if isinstance(entry, dict) else None
        if isinstance(path, str) and path:
            found.append((f"{where} {path}", Place(path, Replace(current))))
    return found


def places(pyproject: Toml, current: str | None) -> list[tuple[str, Place]]:
    """(where it is configured, the place) for each version file these tools' configuration names;
    `current` is the version the files hold now (commitizen's and bump-my-version's replace it)."""
    tool = _table(pyproject, "tool")
    commitizen = _table(tool, "commitizen")
    return [
        *_psr(_table(tool, "semantic_release")),
        *_commitizen(commitizen, str(commitizen.get("version") or current or "") or None),
        *_bumpversion(_table(tool, "bumpversion"), current),
    ]


def edits(
    root: Path, found: Sequence[tuple[str, Place]], new: str, edits: Mapping[str, bytes]
) -> dict[str, bytes]:
    """`edits` with `new` written into each place (on top of an edit of the same file): ConfigError
    for a file that is missing or holds no version there, before anything is written."""
    out = dict(edits)
    for where, place in found:
        file = root / place.path
        if not file.resolve().is_relative_to(root.resolve()):
            raise ConfigError(f"{where}: {place.path} leads outside the project: name a file inside it")
        try:
            text = out[place.path].decode("utf-8") if place.path in out else file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{where}: {place.path} does not exist: fix the entry") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: cannot read {place.path} as UTF-8 text ({exc})") from None
        edited = place.format.write(text, new)
        if edited is None and place.path in out and isinstance(place.format, Replace):
            continue  # the old version was already replaced there (commitizen's "pyproject.toml:version")
        if edited is None:
            raise ConfigError(f"{where}: {place.path} holds no version there to update: fix the entry")
        if edited != text or place.path in out:
            out[place.path] = edited.encode("utf-8")
    return out
