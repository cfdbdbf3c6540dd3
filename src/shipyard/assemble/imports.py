"""Which PyPI distributions a packaging-repository module needs, read from its source.

Why the AST and not a line regex (package-auto-assembler's way): a regex sees `import x` at the start
of a line, so it misses imports nested in functions, inside `if`/`try`, comma lists (`import a, b`) and
parenthesised multi-line `from` imports, and it cannot tell a guarded (optional) import from a required
one. `ast.walk` sees every import statement as Python runs it, and `tokenize` gives the real comments
(a `#` inside a string is not a hint).

An import name is not a distribution name (`cv2` is opencv-python, `google.protobuf` is protobuf): the
caller's mapping file decides first, then the repository's own packages, then `KNOWN`. An import none
of them knows is an error, never a guess, unless the repository follows package-auto-assembler, whose
documented rule is that an unmapped import is installed by its own name. What happens to be installed
beside shipyard never decides another project's requirements.

Hints, in the comment on an import's line(s):
    import requests  #>=2.20     a version specifier (any PEP 440 specifier set)
    import rich  #!              optional: goes into an extra (as does an import guarded by ImportError)
    #! import rich #>=13         the same, as a commented import line (paa's style)
    #@ click>=8.0                a requirement no import shows (`#!@ x` or `#! #@ x`: an optional one)
    import mylib  #-             not a requirement: skip this import
    import mylib  #[extra]>=1.0  with an extra of the distribution (paa's style): mylib[extra]>=1.0
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import io
import re
import tokenize
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as _Pep508
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from shipyard.assemble.known import KNOWN, NAMESPACES, STDLIB
from shipyard.assemble.local import Scope, relative
from shipyard.errors import UsageError

MAPPING_HINT = "requirements-map.toml"

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_OPERATORS = ("<", ">", "=", "!=", "~")
_MAYBE_HINT = re.compile(r"#\s*[-!@<>=~\[]")


class RequirementError(UsageError):
    """A module's imports or hints cannot be turned into requirements: `<path>:<line>: ...`."""


@dataclass(frozen=True)
class Requirement:
    name: str  # distribution name, as the mapping gives it (e.g. "opencv-python")
    specifier: str = ""  # e.g. ">=2.20" from a hint, "" if none
    optional: bool = False  # True: goes into an extra (guarded import or `#!` hint)
    import_name: str = ""  # the (dotted, for namespace packages) import that led here; "" for `#@`
    line: int = 0
    extras: tuple[str, ...] = ()  # from a `#@ name[extra]>=1` line only

    def __str__(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"


@dataclass(frozen=True)
class Imports:
    required: tuple[Requirement, ...]
    optional: tuple[Requirement, ...]
    local: tuple[str, ...]  # component module names this module imports
    problems: tuple[str, ...] = ()  # `<path>:<line>: ...` for what a lenient scan did not raise


@dataclass
class _Hint:
    optional: bool = False
    skip: bool = False
    specs: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)  # `#@` requirement texts
    code: list[str] = field(default_factory=list)  # `#! import x` statements
    extras: list[str] = field(default_factory=list)  # `#[extra]` of the distribution


def _read_segment(text: str, hint: _Hint, where: str) -> bool:
    """One `#...` part of a comment: False if it is no hint (a marker ! @ - must follow the `#` directly)."""
    bang = text.startswith("!") and not text.startswith("!=")
    if bang:
        hint.optional, text = True, text[1:].lstrip()
    if text.startswith("-"):
        hint.skip = True
    elif text.startswith("@"):
        hint.manual.append(text[1:].strip())
    elif (extra := re.match(r"\[([A-Za-z0-9][A-Za-z0-9._-]*)\]", text)) and (
        not text[extra.end() :].strip() or text[extra.end() :].lstrip().startswith(_OPERATORS)
    ):
        hint.extras.append(extra[1])
        return _read_segment(text[extra.end() :], hint, where) if text[extra.end() :].strip() else True
    elif hint.optional and text.startswith(("import ", "from ")):
        hint.code.append(text.strip())
    elif text.lstrip().startswith(_OPERATORS):
        try:
            hint.specs.append(str(SpecifierSet(text.strip())))
        except InvalidSpecifier as exc:
            raise RequirementError(
                f"{where}: '#{text.strip()}' is not a version specifier ({exc}): write one like #>=2.20"
            ) from None
    else:
        return bang and not text
    return True


def _hints(path: Path, source: str) -> dict[int, _Hint]:
    hints: dict[int, _Hint] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise RequirementError(f"{path}:1: cannot read its comments: {exc}") from None
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            hint = hints.setdefault(tok.start[0], _Hint())
            for segment in tok.string.split("#")[1:]:  # `#! import rich #>=13`, `#>=2  # a note`
                if not _read_segment(segment, hint, f"{path}:{tok.start[0]}"):
                    break  # an ordinary comment: a `#@` quoted in it is no hint
    return hints


def _merged(hints: Iterable[_Hint | None]) -> _Hint:
    present = [h for h in hints if h]
    return _Hint(
        any(h.optional for h in present),
        any(h.skip for h in present),
        [s for h in present for s in h.specs],
        extras=[e for h in present for e in h.extras],
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = (
        t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else "" for t in types
    )
    return any(n in _IMPORT_ERRORS for n in names)


def _run_now(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and what runs with it: not the bodies of functions it defines (they run later)."""
    yield node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for child in ast.iter_child_nodes(node):
            yield from _run_now(child)


def _guarded(tries: Iterable[ast.Try]) -> set[int]:
    """ids of the import statements in a `try:` body whose handlers catch ImportError."""
    guarded = (t for t in tries if any(_catches_import_error(h) for h in t.handlers))
    return {id(n) for t in guarded for stmt in t.body for n in _run_now(stmt)}


def _dotted(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The dotted names a statement imports (`from a.b import c` -> `a.b.c`: c may be a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif node.level == 0 and node.module:
        yield from (node.module if a.name == "*" else f"{node.module}.{a.name}" for a in node.names)


def _commented(code: str, where: str) -> list[ast.Import | ast.ImportFrom]:
    try:
        body = ast.parse(code).body
    except SyntaxError:
        body = []
    imports = [s for s in body if isinstance(s, ast.Import | ast.ImportFrom)]
    if not imports or len(imports) != len(body):
        raise RequirementError(
            f"{where}: '#! {code}' is not an import: write '#! import name' or '#! from name import x'"
        )
    return imports


@functools.lru_cache(maxsize=8)
def _own_names(names: tuple[str, ...]) -> dict[str, str]:
    """Sibling import name -> distribution name; the same list comes for every file of a repository."""
    return {name: name.replace("_", "-") for name in names}


@dataclass(frozen=True)
class Rules:
    """How a scan treats what it cannot tell: `lenient` records problems instead of raising them
    (planning reads every package, and one package's bad import must block only that package);
    `same_name` installs an unmapped import by its own name (package-auto-assembler's rule)."""

    lenient: bool = False
    same_name: bool = False


class _Collector:
    def __init__(
        self,
        path: Path,
        components: Collection[str],
        own: Collection[str],
        mapping: Mapping[str, str],
        scope: Scope | None,
        rules: Rules,
    ):
        self.path, self.components, self.mapping = path, frozenset(components), mapping
        self.own = _own_names(tuple(own))
        self.scope, self.rules = scope, rules
        self.found: list[Requirement] = []
        self.local: set[str] = set()
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        if not self.rules.lenient:
            raise RequirementError(text)
        self.problems.append(text)

    def add(self, node: ast.Import | ast.ImportFrom, line: int, optional: bool, hint: _Hint) -> None:
        if isinstance(node, ast.ImportFrom) and node.level and self.scope is not None:
            reached, problem = relative(self.scope, self.path, node)
            if problem:
                self.problem(f"{self.path}:{line}: {problem}")
            self._components(reached, line)
        package = self.scope.modules_package if self.scope else ""
        for dotted in _dotted(node):
            top, _, rest = dotted.partition(".")
            if package and top == package and rest:  # `python_modules.x`: the repository's own modules
                dotted = rest
                top, _, rest = dotted.partition(".")
            if top == "components":
                self._components([rest.partition(".")[0]] if rest else [], line)
            elif top in self.components and top not in self.own:  # a module's name is the package
                self.local.add(top)
            elif top not in STDLIB:
                resolved = self._resolve(dotted, line)
                if resolved is not None:
                    dist, key = resolved
                    extras = tuple(sorted(set(hint.extras)))
                    self.found.append(Requirement(dist, ",".join(hint.specs), optional, key, line, extras))

    def _components(self, names: list[str], line: int) -> None:
        for name in names:
            if self.scope is not None and name not in self.scope.components:
                self.problem(
                    f"{self.path}:{line}: imports component '{name}', "
                    f"which is not in {self.scope.components_dir}"
                )
            else:
                self.local.add(name)

    def _resolve(self, dotted: str, line: int) -> tuple[str, str] | None:
        parts = dotted.split(".")
        keys = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]  # the longest first
        for table in (self.mapping, self.own, KNOWN):
            for key in keys:
                if key in table:
                    return table[key], key
        top, namespace = parts[0], parts[0] in NAMESPACES
        if self.rules.same_name and not namespace:
            return top, top
        self.problem(
            f"{self.path}:{line}: cannot tell which distribution provides '{dotted if namespace else top}': "
            f"add it to the mapping file ({MAPPING_HINT}) or mark the line with #- if it is not a requirement"
        )
        return None

    def manual(self, text: str, line: int, optional: bool) -> None:
        where = f"{self.path}:{line}"
        try:
            req = _Pep508(text)
        except InvalidRequirement as exc:
            raise RequirementError(
                f"{where}: '#@ {text}' is not a requirement ({exc}): write one like #@ click>=8.0"
            ) from None
        if req.url or req.marker:
            raise RequirementError(
                f"{where}: '#@ {text}': URLs and markers are not supported here, only name[extras]>=version"
            )
        self.found.append(
            Requirement(req.name, str(req.specifier), optional, "", line, tuple(sorted(req.extras)))
        )

    def result(self) -> Imports:
        groups: dict[str, list[Requirement]] = {}
        for req in sorted(self.found, key=lambda r: (r.optional, r.line)):  # a required one first
            groups.setdefault(canonicalize_name(req.name), []).append(req)
        merged = [_one(reqs) for _, reqs in sorted(groups.items())]
        return Imports(
            required=tuple(r for r in merged if not r.optional),
            optional=tuple(r for r in merged if r.optional),
            local=tuple(sorted(self.local)),
            problems=tuple(self.problems),
        )


def _one(reqs: list[Requirement]) -> Requirement:
    specs = dict.fromkeys(s for r in reqs for s in r.specifier.split(",") if s)
    extras = sorted({e for r in reqs for e in r.extras})
    return dataclasses.replace(reqs[0], specifier=",".join(specs), extras=tuple(extras))


def _parse(path: Path, source: str | None) -> tuple[str, ast.Module]:
    try:
        text = path.read_text(encoding="utf-8") if source is None else source
        return text, ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise RequirementError(f"{path}:{exc.lineno or 0}: does not parse: {exc.msg}") from None
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, or null bytes (before Python 3.12)
        raise RequirementError(f"{path}:0: cannot read it: {exc}") from None


def scan(
    path: Path,
    source: str | None = None,
    *,
    components: Collection[str] = (),
    local_names: Collection[str] = (),
    mapping: Mapping[str, str] | None = None,
    scope: Scope | None = None,
    rules: Rules = Rules(),
) -> Imports:
    """The requirements and component imports of one module file (`source`: its text, if already
    read). `scope`: where its relative and component imports may lead (checked when given)."""
    collector = _Collector(path, components, local_names, mapping or {}, scope, rules)
    try:
        _collect(collector, path, source)
    except RequirementError as exc:
        if not rules.lenient:
            raise
        return Imports((), (), (), problems=(exc.message,))
    return collector.result()


def _collect(collector: _Collector, path: Path, source: str | None) -> None:
    text, tree = _parse(path, source)
    hints = _hints(path, text) if _MAYBE_HINT.search(text) else {}  # tokenize is slow: only if needed
    nodes = list(ast.walk(tree))
    guarded = _guarded(n for n in nodes if isinstance(n, ast.Try))
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            end = node.end_lineno or node.lineno
            hint = _merged(hints.get(n) for n in range(node.lineno, end + 1))
            if not hint.skip:
                collector.add(node, node.lineno, id(node) in guarded or hint.optional, hint)
    for line, hint in sorted(hints.items()):
        for code in hint.code:
            for stmt in _commented(code, f"{path}:{line}"):
                collector.add(stmt, line, True, hint)
        for requirement in hint.manual:
            collector.manual(requirement, line, hint.optional)
