"""What a setup.py says without running it: the string literals given to its setup() call (`name=`,
`version=`), read with `ast`, and the `SetupKeyword` version format that writes a new `version="..."`
in place (only the string's own characters change). A value setup.py computes is not guessed here:
the caller falls back to `__version__` in the package, then to the build backend.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


def _setup_call(tree: ast.Module) -> ast.Call | None:
    """The first call of `setup(...)` or `setuptools.setup(...)` in the module (any depth: often in
    a function or under `if __name__ == "__main__":`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == "setup":
                return node
    return None


def _constants(tree: ast.Module) -> dict[str, ast.Constant]:
    """Module-level `NAME = "text"` assignments (a `setup(version=VERSION)` refers to one)."""
    found: dict[str, ast.Constant] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value
    return found


def _literal(text: str, keyword: str) -> ast.Constant | None:
    """The string constant the setup() call's `keyword` gets, directly or through a module constant."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    call = _setup_call(tree)
    if call is None:
        return None
    for given in call.keywords:
        if given.arg != keyword:
            continue
        value = given.value
        if isinstance(value, ast.Name):
            constant = _constants(tree).get(value.id)
            return constant if constant is not None and isinstance(constant.value, str) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value
    return None


def keyword(root: Path, name: str) -> str | None:
    """The literal string setup.py's setup() call gives `name` (e.g. "name", "version"), if any."""
    try:
        text = (root / "setup.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = _literal(text, name)
    return str(found.value) if found is not None and found.value else None


def mentions(root: Path, word: str) -> bool:
    """Whether setup.py's text names `word` (it reads `__version__` from the package, say)."""
    try:
        return word in (root / "setup.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


@dataclass(frozen=True)
class SetupKeyword:
    """`version="1.2.3"` in setup.py's setup() call (or the module constant it names): a version
    Format of plan/source.py."""

    keyword: str = "version"

    def read(self, text: str) -> str | None:
        found = _literal(text, self.keyword)
        return str(found.value) if found is not None else None

    def write(self, text: str, new: str) -> str | None:
        found = _literal(text, self.keyword)
        if found is None or found.end_lineno != found.lineno or found.end_col_offset is None:
            return None  # a string spread over lines (implicit concatenation) is not a version
        lines = text.splitlines(keepends=True)
        line = lines[found.lineno - 1].encode("utf-8")  # ast's offsets count UTF-8 bytes
        old = line[found.col_offset : found.end_col_offset].decode("utf-8")
        quote = old[-1]
        start = len(old) - len(old.lstrip("rRuUbB"))  # a prefix such as u"..." is kept
        body = old[start:]
        triple = body[:3] if body[:3] in ('"""', "'''") else quote
        replaced = old[:start] + triple + new + triple
        edited = line[: found.col_offset] + replaced.encode("utf-8") + line[found.end_col_offset :]
        lines[found.lineno - 1] = edited.decode("utf-8")
        return "".join(lines)
