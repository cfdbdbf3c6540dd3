"""Component imports rewritten to the vendored copy: `from components.x import y` becomes
`from pkg.components.x import y`; imports through the modules folder as a package (paa's tests do
`from python_modules.NAME import x` with the repository root on the path) become imports of the
installed package's module (`from NAME.NAME import x`) and of its components.
Statements are regenerated from the AST (`ast.unparse`) and put in place of the original text; a
statement over several lines keeps its line count, so tracebacks from the installed package point at
the same lines as the source.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

COMPONENTS = "components"


def _target(name: str, package: str, components: Collection[str], modules: str = "") -> str | None:
    """The new dotted name for an import of `name`, or None if it is no local import."""
    head, _, rest = name.partition(".")
    if modules and head == modules and rest:
        inner, _, deeper = rest.partition(".")
        if inner != COMPONENTS:
            return f"{inner}.{inner}" + (f".{deeper}" if deeper else "")
        head, rest = inner, deeper
    if head == COMPONENTS:
        return f"{package}.{COMPONENTS}" + (f".{rest}" if rest else "")
    if head in components:
        return f"{package}.{COMPONENTS}.{name}"
    return None


def _rewritten(node: ast.stmt, package: str, components: Collection[str], modules: str) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        module = _target(node.module, package, components, modules)
        if module is None:
            return None
        return ast.unparse(ast.ImportFrom(module=module, names=node.names, level=0))
    if not isinstance(node, ast.Import):
        return None
    parts, changed = [], False
    for alias in node.names:
        target = _target(alias.name, package, components, modules)
        if modules and alias.name.startswith(f"{modules}.") and not alias.asname:
            target = None  # `import python_modules.x` binds a name no installed package has: left as it is
        if target is None:
            parts.append(ast.unparse(ast.Import(names=[alias])))
        elif alias.asname:
            parts.append(f"import {target} as {alias.asname}")
        elif "." in alias.name:  # `import components.x`: keep `components.x.f()` working
            head = alias.name.partition(".")[0]
            bound = f"{package}.{COMPONENTS}" if head == COMPONENTS else f"{package}.{COMPONENTS}.{head}"
            parent, _, leaf = bound.rpartition(".")
            parts.append(f"import {target}; from {parent} import {leaf} as {head}")
        else:  # a bare component name: `import helpers`
            parts.append(f"from {package}.{COMPONENTS} import {alias.name}")
        changed = changed or target is not None
    return "; ".join(parts) if changed else None


def rewrite(source: str, package: str, components: Collection[str], modules: str = "") -> str:
    """`source` with every import of a component pointed at `package.components` (and, with
    `modules`, the modules folder's dotted name, its imports at the installed packages)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and (
            new := _rewritten(node, package, components, modules)
        ):
            assert node.end_lineno is not None and node.end_col_offset is not None
            start = offsets[node.lineno - 1] + node.col_offset
            end = offsets[node.end_lineno - 1] + node.end_col_offset
            edits.append((start, end, new + "\n" * (node.end_lineno - node.lineno)))
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new.encode("utf-8") + data[end:]
    return data.decode("utf-8")
