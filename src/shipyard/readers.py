"""The readers of option values, one per Kind of shipyard.options: what a [tool.shipyard] value,
a SHIPYARD_* variable or a flag may be, and the error that says what it must be instead."""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable
from pathlib import Path, PureWindowsPath

from shipyard.errors import ConfigError
from shipyard.options import Kind, Option


def as_bool(option: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"option '{option}' must be true or false, not '{value}'")


def _as_stages(option: str, value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of repository names")
    stages = tuple(i.strip() for i in items if i.strip())
    if not stages:
        raise ConfigError(f"option '{option}' names no repository: list at least one, such as \"local\"")
    return stages


def _as_patterns(option: str, value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of paths or globs inside a dist")
    return tuple(i.strip().lstrip("/") for i in items if i.strip())


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _as_names(option: str, value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of environment variable names")
    names = tuple(i.strip() for i in items if i.strip())
    for name in names:
        if not _NAME.fullmatch(name):
            raise ConfigError(
                f"option '{option}': {name!r} is not an environment variable name (letters, digits, _)"
            )
    return names


def _as_assignments(option: str, value: object) -> tuple[tuple[str, str], ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of PATH:NAME (\"docs/conf.py:release\")")
    found = []
    for item in (i.strip() for i in items if i.strip()):
        path, _, name = item.rpartition(":")
        if not path or not name.isidentifier():
            raise ConfigError(
                f"option '{option}': {item!r} is not PATH:NAME (a file and the name assigned in it, "
                '"docs/conf.py:release")'
            )
        normal = posixpath.normpath(path.replace("\\", "/"))
        if normal.startswith(("/", "../")) or normal == ".." or PureWindowsPath(path).drive:
            raise ConfigError(f"option '{option}': {path!r} must be a file inside the project")
        found.append((normal, name))
    return tuple(found)


def _as_tag(option: str, value: object) -> str:
    if not isinstance(value, str) or "{version}" not in value:
        raise ConfigError(f"option '{option}' must be a pattern containing {{version}}, not {value!r}")
    return tag_pattern(value)


def tag_pattern(pattern: str) -> str:
    """`pattern` if it makes valid git tag names: {version} once, {package} at most, no character
    git refuses in a ref (plan/versions.TagPattern checks every pattern with this)."""
    fields = re.findall(r"\{([^{}]*)\}", pattern)
    if fields.count("version") != 1 or any(f not in ("version", "package") for f in fields):
        raise ConfigError(f"tag pattern {pattern!r} must hold {{version}} once, and may hold {{package}}")
    literal = re.sub(r"\{(version|package)\}", "", pattern)
    if re.search(r"[\s~^:?*\[\\]|\.\.|@\{|//", literal) or pattern.startswith(("/", "-")):
        raise ConfigError(
            f"tag pattern {pattern!r} would not make a valid git tag name: leave out spaces, "
            "~^:?*[\\, '..', '//' and a leading / or - (such as v{version})"
        )
    return pattern


def _choice(option: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"option '{option}' must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _as_optional_path(option: str, value: object) -> str:
    """A path, or "" / false to switch the feature off."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("", "false", "off", "no")):
        return ""
    return as_str(option, value)


def _as_float(option: str, value: object) -> float:
    try:
        if not isinstance(value, int | float | str):
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{option}' must be a number of seconds, not '{value}'") from None
    if not math.isfinite(number):  # nan compares false with everything: a poll that never ends
        raise ConfigError(f"option '{option}' must be a finite number of seconds, not '{value}'")
    if number < 0:
        raise ConfigError(f"option '{option}' must not be negative")
    return number


def _as_count(option: str, value: object) -> int:
    try:
        if not isinstance(value, int | float | str):
            raise TypeError(value)
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{option}' must be a whole number, not '{value}'") from None
    if number < 0 or isinstance(value, bool) or (isinstance(value, float) and value != number):
        raise ConfigError(f"option '{option}' must be a whole number of at least 0, not '{value}'")
    return number


def _as_positive(option: str, value: object) -> float:
    number = _as_float(option, value)
    if number == 0:
        raise ConfigError(f"option '{option}' must be more than 0 seconds")
    return number


def as_str(option: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"option '{option}' must be a non-empty string")
    return value


# the PEP 740 publishers PyPI accepts attestations from; google: names a service account's email
_PUBLISHER = re.compile(
    r"(github:[^/@\s]+/[^/@\s]+|gitlab:[^@\s]+/[^@\s]+)@[^@\s]+|google:[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+"
)
PUBLISHER_SHAPES = (
    "github:OWNER/REPO@WORKFLOW, gitlab:NAMESPACE/PROJECT@CI_FILE or google:SERVICE_ACCOUNT_EMAIL"
)


def _as_publisher(option: str, value: object) -> str:
    if value == "" or (isinstance(value, str) and _PUBLISHER.fullmatch(value)):
        return value
    raise ConfigError(f"option '{option}' must be {PUBLISHER_SHAPES}, not {value!r}")


_PARSERS: dict[Kind, Callable[[str, object], object]] = {
    Kind.SWITCH: as_bool,
    Kind.SECONDS: _as_float,
    Kind.POSITIVE_SECONDS: _as_positive,
    Kind.COUNT: _as_count,
    Kind.TEXT: as_str,
    Kind.OPTIONAL_TEXT: lambda option, value: "" if value in ("", False) else as_str(option, value),
    Kind.STAGES: _as_stages,
    Kind.TAG: _as_tag,
    Kind.PATTERNS: _as_patterns,
    Kind.ASSIGNMENTS: _as_assignments,
    Kind.NAMES: _as_names,
    Kind.PUBLISHER: _as_publisher,
}


def parse(option: Option, where: str, value: object, root: Path) -> object:
    """`value` (named `where` in errors) as option's Config field holds it; paths are resolved."""
    if option.kind is Kind.CHOICE:
        return _choice(where, value, option.choices)
    if option.kind is Kind.PATH:
        return (root / as_str(where, value)).resolve()
    if option.kind in (Kind.OPTIONAL_PATH, Kind.PROJECT_FILE):
        path = _as_optional_path(where, value)
        if not path:
            return None
        resolved = (root / path).resolve()
        if option.kind is Kind.PROJECT_FILE and not resolved.is_relative_to(root):
            raise ConfigError(f"option '{where}' must name a file inside the project, not {path!r}")
        return resolved
    return _PARSERS[option.kind](where, value)
