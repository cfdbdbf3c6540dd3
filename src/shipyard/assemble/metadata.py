"""A module's package metadata: its docstring, paa's `__package_metadata__` and `__cli_metadata__`
dicts, and `[packages.NAME]` in shipyard.toml (which wins). Read with the AST: the module is never
imported, so a module with heavy or missing dependencies is still assembled.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.errors import UsageError

_STRINGS = ("description", "author", "author_email", "license", "url", "requires_python", "version")
_LISTS = ("keywords", "classifiers")


class MetadataError(UsageError):
    """Missing or invalid package metadata, named by file and line."""


@dataclass(frozen=True)
class Meta:
    description: str
    docstring: str = ""
    author: str = ""
    author_email: str = ""
    license: str = ""
    url: str = ""
    requires_python: str = ">=3.9"
    version: str = ""  # the first release's version, when there is no tag yet
    keywords: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cli_name: str = ""


def parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise MetadataError(f"{path}:{exc.lineno or 0}: does not parse: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{path}: cannot be read: {exc}") from None


def _literal(tree: ast.Module, name: str, path: Path) -> tuple[dict[object, object], int]:
    """The literal dict assigned to `name` at the module's top level, and its line."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert isinstance(node, ast.Assign)
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                raise MetadataError(f"{path}:{node.lineno}: {name} must be a literal dict") from None
            if not isinstance(value, dict):
                raise MetadataError(f"{path}:{node.lineno}: {name} must be a dict")
            return value, node.lineno
    return {}, 1


@dataclass
class _Checked:
    """What a metadata dict says, each value checked for its type."""

    strings: dict[str, str] = field(default_factory=dict)
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extras: dict[str, tuple[str, ...]] | None = None

    def update(self, other: _Checked) -> None:
        self.strings.update(other.strings)
        self.lists.update(other.lists)
        self.extras = other.extras if other.extras is not None else self.extras


def _check(values: Mapping[object, object], where: str) -> _Checked:
    checked = _Checked()
    for key, value in values.items():
        if key in _STRINGS:
            if not isinstance(value, str):
                raise MetadataError(f"{where}: {key} must be a string")
            checked.strings[str(key)] = value
        elif key in _LISTS:
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise MetadataError(f"{where}: {key} must be a list of strings")
            checked.lists[str(key)] = tuple(value)
        elif key in ("extras_require", "extras"):
            if not isinstance(value, dict) or not all(
                isinstance(v, list | tuple) and all(isinstance(r, str) for r in v) for v in value.values()
            ):
                raise MetadataError(f"{where}: {key} must map extra names to lists of requirements")
            checked.extras = {str(k): tuple(v) for k, v in value.items()}
    return checked


def read(path: Path, overrides: object = None, *, cli: Path | None = None) -> Meta:
    """The metadata of the module at `path` (a file, or a folder's `__init__.py`), with
    `overrides` (its [packages.NAME] table of shipyard.toml, if any) over it."""
    source = path / "__init__.py" if path.is_dir() else path
    tree = parse(source)
    docstring = (ast.get_docstring(tree) or "").strip()
    given, line = _literal(tree, "__package_metadata__", source)
    values = _check(given, f"{source}:{line}")
    where = f"[packages.{path.stem}] in shipyard.toml"
    if overrides is not None and not isinstance(overrides, Mapping):
        raise MetadataError(f"{where} must be a table")
    values.update(_check(overrides or {}, where))
    text = values.strings
    description = text.pop("description", "") or docstring.split("\n\n")[0].replace("\n", " ").strip()
    if not description:
        raise MetadataError(
            f"{source}:1: no description: start the module with a docstring, or set description in "
            "__package_metadata__"
        )
    cli_name = ""
    if cli is not None and cli.is_file():
        cli_meta, _ = _literal(parse(cli), "__cli_metadata__", cli)
        cli_name = str(cli_meta.get("name", ""))
    return Meta(
        description=description,
        docstring=docstring,
        author=text.get("author", ""),
        author_email=text.get("author_email", ""),
        license=text.get("license", ""),
        url=text.get("url", ""),
        requires_python=text.get("requires_python", Meta.requires_python),
        version=text.get("version", ""),
        keywords=values.lists.get("keywords", ()),
        classifiers=values.lists.get("classifiers", ()),
        extras=values.extras or {},
        cli_name=cli_name,
    )
