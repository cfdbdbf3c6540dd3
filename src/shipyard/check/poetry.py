"""Poetry's dependency specifications as PEP 508 requirements, read from the TOML directly.

Poetry writes constraints PEP 440 has no word for: `^1.2` (>=1.2,<2.0), `~1.2` (>=1.2,<1.3), `1.2.*`,
a bare `1.2.3` (==1.2.3), and tables with `version`, `extras`, `markers`, `python`, `platform`,
`git` (`branch`/`tag`/`rev`, `subdirectory`), `path` and `url`; a list of tables is one requirement
per table (each with its markers). The rules are poetry-core's (`parse_constraint`,
`Version.next_breaking`), without installing it (4 MB) for the few projects that need them.
`||` (either range) has no PEP 508 form: an error says to write one range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

_OPERATOR = re.compile(r"^(===|==|!=|~=|<=|>=|<|>|=|\^|~)?\s*(.*)$")
_GLUED = re.compile(r"(===|==|!=|~=|<=|>=|<|>|=|\^|~)\s+")  # ">= 1.2" is one clause
_AND = re.compile(r"\s*,\s*|\s+")
_SCP = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<path>.+)$")  # git@github.com:org/repo.git


class PoetryError(ValueError):
    """A specification that has no PEP 508 form; the message says what (the caller says where)."""


def requirements(name: str, spec: object, root: Path) -> list[str]:
    """The PEP 508 requirements for dependency `name` declared as `spec` (a string, a table or a list
    of tables); PoetryError for what cannot be written so."""
    tables = spec if isinstance(spec, list) else [spec]
    out = []
    for table in tables:
        if isinstance(table, str):
            table = {"version": table}
        if not isinstance(table, Mapping):
            raise PoetryError(f"a version or a table, not {table!r}")
        out.append(_requirement(name, table, root))
    return out


def _requirement(name: str, table: Mapping[str, object], root: Path) -> str:
    extras = table.get("extras") or []
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise PoetryError("extras must be a list of names")
    text = name + (f"[{','.join(extras)}]" if extras else "")
    if (url := _direct(table, root)) is not None:
        text += f" @ {url}"
    else:
        text += specifier(_string(table, "version") or "*")
    if markers := _markers(table):
        text += (" " if "@" in text else "") + f"; {markers}"
    try:
        return str(Requirement(text))
    except InvalidRequirement as exc:
        raise PoetryError(str(exc).splitlines()[0]) from None


def _string(table: Mapping[str, object], key: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise PoetryError(f"{key} must be a string")
    return value.strip()


def _direct(table: Mapping[str, object], root: Path) -> str | None:
    """A git, path or url dependency as a direct reference; None for one from an index."""
    if git := _string(table, "git"):
        if not git.startswith("git+"):
            scp = _SCP.match(git) if "://" not in git else None
            git = f"git+ssh://{scp['user']}@{scp['host']}/{scp['path']}" if scp else f"git+{git}"
        ref = _string(table, "rev") or _string(table, "tag") or _string(table, "branch")
        sub = _string(table, "subdirectory")
        return git + (f"@{ref}" if ref else "") + (f"#subdirectory={sub}" if sub else "")
    if path := _string(table, "path"):
        return (root / path).resolve().as_uri()
    return _string(table, "url") or None


def _markers(table: Mapping[str, object]) -> str:
    found = []
    if (python := _string(table, "python")) not in ("", "*"):
        found.append(_python_markers(python))
    if platform := _string(table, "platform"):
        found.append(f'sys_platform == "{platform}"')
    if markers := _string(table, "markers"):
        found.append(markers)
    if len(found) == 1:
        return found[0]
    return " and ".join(f"({m})" for m in found)


def _python_markers(constraint: str) -> str:
    """`python = "^3.8"` as `python_version >= "3.8" and python_version < "4.0"`; `||` as `or`."""
    alternatives = []
    for alternative in re.split(r"\s*\|\|?\s*", constraint):
        clauses = []
        for op, version in _clauses(alternative):
            field = "python_full_version" if len(version.split(".")) > 2 else "python_version"
            if version.endswith(".*"):
                field, version = "python_version", version.removesuffix(".*")
            clauses.append(f'{field} {op} "{version}"')
        alternatives.append(" and ".join(clauses))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" for a in alternatives)


def specifier(constraint: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier set ("" for any version)."""
    if "|" in constraint:
        raise PoetryError(f"{constraint!r}: Poetry's || (either range) has no PEP 508 form: write one range")
    return ",".join(f"{op}{version}" for op, version in _clauses(constraint))


def _clauses(constraint: str) -> list[tuple[str, str]]:
    """(operator, version) pairs that all hold, PEP 440's operators only."""
    out: list[tuple[str, str]] = []
    for part in _AND.split(_GLUED.sub(r"\1", constraint.strip())):
        if part in ("", "*"):
            continue
        match = _OPERATOR.match(part)
        assert match is not None  # every string matches: the operator is optional
        op, version = match[1] or "", match[2].strip()
        if op in ("^", "~"):
            low = _version(version)
            out += [(">=", version), ("<", _upper(low, caret=op == "^"))]
        elif version.endswith((".*", ".x", ".X")):
            out.append(("!=" if op == "!=" else "==", version[:-2] + ".*"))
        else:
            out.append(("==" if op in ("", "=") else op, version))
            _version(version)
    return out


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise PoetryError(f"{text!r} is not a version") from None


def _upper(low: Version, *, caret: bool) -> str:
    """The first version a caret (^) or tilde (~) constraint leaves out (poetry-core's rules)."""
    release = list(low.release)
    if caret:
        # next_breaking: the first non-zero part of what was written moves (^0.0 -> 0.1, ^0 -> 1)
        index = next((i for i, n in enumerate(release) if n), len(release) - 1)
        index = min(index, 2)
    else:
        index = 0 if len(release) == 1 else 1  # ~1 -> 2, ~1.2 and ~1.2.3 -> 1.3
    bumped = [*release[:index], release[index] + 1] + [0] * (max(len(release), index + 1) - index - 1)
    return ".".join(str(n) for n in bumped)
