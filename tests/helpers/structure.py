"""The house's shape, measured from the source: modules at the top, import circles, rooms that
import each other, imports inside functions, long modules and functions, functions with many parameters,
`Any`, places that recompute what the Release value carries, and tests that import other test modules.

Shared by tests/test_house.py (which holds the limits) and benchmarks/house.py (which prints the
figures). Imports are read with `ast`, never executed; an import under `if TYPE_CHECKING:` is not an
edge (it never runs), one inside a function is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = "shipyard"


@dataclass(frozen=True)
class Module:
    name: str  # dotted
    path: Path
    is_package: bool


@dataclass
class Figures:
    top_modules: list[str] = field(default_factory=list)
    circles: list[list[str]] = field(default_factory=list)
    late_imports: list[str] = field(default_factory=list)  # "module:line -> target", outside cli/
    long_modules: list[tuple[str, int]] = field(default_factory=list)
    any_uses: int = 0
    test_cross_imports: list[str] = field(default_factory=list)
    room_circles: list[list[str]] = field(default_factory=list)  # rooms importing each other
    long_functions: list[tuple[str, int]] = field(default_factory=list)  # "module:function", lines
    many_parameters: list[tuple[str, int]] = field(default_factory=list)  # "module:function", count
    recomputed: dict[str, list[str]] = field(default_factory=dict)  # what Release carries -> where made


def modules(src: Path = SRC) -> dict[str, Module]:
    found = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement that can run, with whether it sits inside a function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), in_function)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _imports(node, inner)


def _targets(node: ast.Import | ast.ImportFrom, module: Module, known: dict[str, Module]) -> list[str]:
    """The shipyard modules an import statement loads (its own names that are modules included)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == PACKAGE and a.name in known]
    base = node.module or ""
    if node.level:
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}".rstrip(".") if base else package
    if base.split(".")[0] != PACKAGE:
        return []
    found = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
    if len(found) < len(node.names) and base in known:
        found.append(base)
    return found


def graph(known: dict[str, Module]) -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the shipyard modules it imports, and the imports inside functions outside cli/."""
    edges: dict[str, set[str]] = {name: set() for name in known}
    late = []
    for name, module in known.items():
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for node, in_function in _imports(tree):
            targets = [t for t in _targets(node, module, known) if t != name]
            edges[name].update(targets)
            if in_function and targets and not name.startswith(f"{PACKAGE}.cli"):
                late.append(f"{name}:{node.lineno} -> {', '.join(targets)}")
    return edges, late


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (each group once)."""
    reach = {name: _reachable(edges, name) for name in edges}
    groups = {
        frozenset({name} | {other for other in reach[name] if name in reach[other]})
        for name in edges
        if name in reach[name]
    }
    return sorted(sorted(group) for group in groups)


def any_uses(known: dict[str, Module]) -> int:
    """How often `Any` is used (not imported) across the source."""
    count = 0
    for module in known.values():
        for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Name) and node.id == "Any") or (
                isinstance(node, ast.Attribute) and node.attr == "Any"
            ):
                count += 1
    return count


def test_cross_imports(tests: Path = ROOT / "tests") -> list[str]:
    found = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                leaf = name.rpartition(".")[2]
                if name.startswith("tests.") and leaf.startswith("test_"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def room(module: str) -> str:
    """The room a module sits in: its folder under shipyard (`shipyard.index`), or itself at the top."""
    parts = module.split(".")
    return ".".join(parts[:2])


def room_circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of rooms that import each other, directly (a two-way pair) or through other rooms: a seam
    missing between them, even where no module-level circle exists."""
    rooms: dict[str, set[str]] = {}
    for a, targets in edges.items():
        rooms.setdefault(room(a), set()).update(room(b) for b in targets if room(b) != room(a))
    return circles(rooms)


def _functions(known: dict[str, Module]) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for name, module in known.items():
        for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{name}:{node.name}", node


def long_functions(known: dict[str, Module], limit: int) -> list[tuple[str, int]]:
    found = []
    for where, node in _functions(known):
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        if lines > limit:
            found.append((where, lines))
    return found


def many_parameters(known: dict[str, Module], limit: int) -> list[tuple[str, int]]:
    found = []
    for where, node in _functions(known):
        args = node.args
        names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        count = len([n for n in names if n not in ("self", "cls")])
        if count > limit:
            found.append((where, count))
    return found


# The one Release value is made where files enter (the orchestrations in release/, and cli/ for the
# files named to publish and verify) and read below; these calls make it, or what it carries, again
RELEASE_MADE_BY = ("Release.of", "ReleaseState.load")
ENTRIES = ("shipyard.release.", "shipyard.cli.")


def recomputed(known: dict[str, Module]) -> dict[str, list[str]]:
    """Each of RELEASE_MADE_BY -> the places (module:line) that call it (Release.of: below the entries)."""
    found: dict[str, list[str]] = {what: [] for what in RELEASE_MADE_BY}
    for name, module in known.items():
        for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                owner, _, attr = ast.unparse(node.func).rpartition(".")
                spelled = f"{owner.rpartition('.')[2]}.{attr}"
                if spelled == "Release.of" and name.startswith(ENTRIES):
                    continue
                if spelled in found:
                    found[spelled].append(f"{name}:{node.lineno}")
    return found


def measure(limit_lines: int = 400, limit_function: int = 60, limit_parameters: int = 6) -> Figures:
    known = modules()
    edges, late = graph(known)
    top = [
        n for n, m in known.items() if n.count(".") == 1 and not m.is_package and n != f"{PACKAGE}.__main__"
    ]
    long = []
    for name, module in known.items():
        lines = len(module.path.read_text(encoding="utf-8").splitlines())
        if lines > limit_lines:
            long.append((name, lines))
    return Figures(
        top,
        circles(edges),
        late,
        long,
        any_uses(known),
        test_cross_imports(),
        room_circles(edges),
        long_functions(known, limit_function),
        many_parameters(known, limit_parameters),
        recomputed(known),
    )
