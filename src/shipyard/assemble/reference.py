"""The reference page of a package: its public names with their signatures and docstrings.

Read with the AST, like the metadata: the module is never imported, so a module whose
dependencies are missing here is documented all the same, and no user code runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shipyard.assemble import metadata
from shipyard.assemble.layout import Module

_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_VALUE_LIMIT = 120  # a constant's value is shown only when short; a long one is elided


@dataclass(frozen=True)
class Entry:
    name: str
    node: ast.stmt


def _declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return list(value)
    return None


def _defined(tree: ast.Module) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, _Def):
            found[node.name] = node
        elif isinstance(node, ast.Assign):
            found.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node
    return found


def _submodule(package: Path, own: str, node: ast.ImportFrom) -> Path | None:
    """The file of the package's own submodule that `node` imports from, if it is one."""
    parts = (node.module or "").split(".") if node.module else []
    if node.level == 0:
        if not parts or parts[0] != own:
            return None
        parts = parts[1:]
    elif node.level > 1:
        return None
    base = package.joinpath(*parts) if parts else package
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _re_exported(module: Module, tree: ast.Module) -> dict[str, ast.stmt]:
    """A folder package's `from .x import f` / `from pkg.x import f`: f's definition in x."""
    found: dict[str, ast.stmt] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _submodule(module.path, module.import_name, node)
        if source is None or source == module.path / "__init__.py":
            continue
        there = _defined(metadata.parse(source))
        for alias in node.names:
            if alias.name in there:
                found[alias.asname or alias.name] = there[alias.name]
    return found


def entries(module: Module) -> list[Entry]:
    """The module's public names in source order (`__all__` when it declares one), with their nodes."""
    source = module.path / "__init__.py" if module.is_folder else module.path
    tree = metadata.parse(source)
    known = _defined(tree)
    if module.is_folder:
        known = {**_re_exported(module, tree), **known}
    wanted = _declared_all(tree)
    names = wanted if wanted is not None else [n for n in known if not n.startswith("_")]
    return [Entry(n, known[n]) for n in names if n in known and n != "__all__"]


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    decorators = "".join(f"@{ast.unparse(d)}\n" for d in node.decorator_list)
    return f"{decorators}{prefix} {name}({ast.unparse(node.args)}){returns}"


def _class_line(node: ast.ClassDef, name: str) -> str:
    bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    return f"class {name}({', '.join(bases)})" if bases else f"class {name}"


def _value_line(node: ast.stmt, name: str) -> str:
    annotation = f": {ast.unparse(node.annotation)}" if isinstance(node, ast.AnnAssign) else ""
    value = getattr(node, "value", None)
    shown = ast.unparse(value) if value is not None else ""
    if len(shown) > _VALUE_LIMIT:
        shown = "..."
    return f"{name}{annotation}" + (f" = {shown}" if shown else "")


def _block(code: str, doc: str | None, heading: str) -> Iterator[str]:
    yield heading
    yield ""
    yield f"```python\n{code}\n```"
    yield ""
    if doc:
        yield doc.strip()
        yield ""


def _section(entry: Entry) -> Iterator[str]:
    node, name = entry.node, entry.name
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield from _block(_signature(node, name), ast.get_docstring(node), f"## `{name}`")
    elif isinstance(node, ast.ClassDef):
        yield from _block(_class_line(node, name), ast.get_docstring(node), f"## `{name}`")
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                not item.name.startswith("_") or item.name == "__init__"
            ):
                heading = f"### `{name}.{item.name}`"
                yield from _block(_signature(item, item.name), ast.get_docstring(item), heading)
    else:
        yield from _block(_value_line(node, name), None, f"## `{name}`")


def page(module: Module, version: str) -> str:
    """The reference page, in Markdown."""
    lines = ["# Reference", "", f"`import {module.import_name}` (version {version})", ""]
    found = entries(module)
    if not found:
        lines += ["The package exposes no public names.", ""]
    for entry in found:
        lines += list(_section(entry))
    return "\n".join(lines)
