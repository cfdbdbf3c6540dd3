"""Jinja2 over the templates in ci/templates, with delimiters that leave `${{ }}` and `$(...)` alone."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import jinja2

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("shipyard.ci.generate", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # GitHub (${{ }}), Azure (${{ }}, $(...)) and GitLab all use braces: ours must differ
    block_start_string="<%",
    block_end_string="%>",
    variable_start_string="<<",
    variable_end_string=">>",
    comment_start_string="<#",
    comment_end_string="#>",
    autoescape=False,  # noqa: S701 - YAML and shell, not HTML
)


def quoted(value: object) -> str:
    """A YAML double-quoted scalar (JSON is valid YAML): safe for any name or pattern."""
    return json.dumps(value)


# what YAML would read as something other than the text itself, in a plain (unquoted) scalar
_INDICATORS = tuple("-?:,[]{}#&*!|>'\"%@`")
_RESOLVED = re.compile(r"(?i)true|false|yes|no|on|off|null|~|[-+]?[0-9._]+(e[-+]?[0-9]+)?")


def scalar(value: str) -> str:
    """A YAML scalar for a shell line or an expression: plain when YAML reads it back as the same
    text, else single-quoted (backslashes and `$` stay literal there; `'` doubles)."""
    plain = (
        value
        and value == value.strip()
        and not value.startswith(_INDICATORS)
        and ": " not in value
        and " #" not in value
        and "\n" not in value
        and not _RESOLVED.fullmatch(value)
    )
    return value if plain else "'" + value.replace("'", "''") + "'"


def flow_list(values: Iterable[object]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def fallback(names: Iterable[str]) -> str:
    """`${A:-${B:-}}`: the first of these variables that is set and not empty, in shell."""
    names = list(names)
    return "".join("${" + n + ":-" for n in names) + "}" * len(names)


_ENV.filters["fallback"] = fallback
_ENV.filters["azure_token"] = lambda stage: f"SHIPYARD_{stage.upper().replace('-', '_')}_TOKEN"
_ENV.filters["q"] = quoted
_ENV.filters["y"] = scalar
_ENV.filters["flow"] = flow_list
_ENV.filters["format_secret"] = "secrets.{}".format


def render(template: str, **values: object) -> str:
    return _ENV.get_template(template).render(**values)
