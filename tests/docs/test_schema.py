"""The JSON schema of [tool.shipyard] (docs/schema/shipyard.json) holds for every example
configuration there is: the docs' TOML blocks, examples/, and the tables the tests write; and where
shipyard itself refuses a table the tests write, the schema refuses it too (unless the reason is one
a schema cannot see: a path outside the project, a tag git would refuse)."""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from shipyard.ci.generate.install import choose
from shipyard.config import from_table
from shipyard.errors import ConfigError
from shipyard.options import OPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schema" / "shipyard.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
FENCE = re.compile(r"^( *)```toml\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = "http://127.0.0.1:9/x/"  # what an f-string's value or a helper's answer stands for
# what shipyard refuses that no JSON schema can see (the words of its errors)
UNSEEABLE = ("inside the project", "valid git tag name", "must hold {version} once", "is not PATH:NAME")


def _tables_in_markdown() -> Iterator[tuple[str, dict[str, object]]]:
    for page in sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]):
        for match in FENCE.finditer(page.read_text()):
            body = "\n".join(line[len(match.group(1)) :] for line in match.group(2).splitlines())
            data = tomllib.loads(body)  # a TOML block of the docs that does not parse is a bug too
            tool = data.get("tool", {}).get("shipyard")
            if tool is not None:
                yield f"{page.relative_to(ROOT)}:{match.start()}", tool


def _own_tables() -> frozenset[str]:
    from shipyard.assemble.settings import OWN_TABLES

    return frozenset(OWN_TABLES)


def _tables_in_examples() -> Iterator[tuple[str, dict[str, object]]]:
    for path in sorted(ROOT.glob("examples/*/pyproject.toml")):
        tool = tomllib.loads(path.read_text()).get("tool", {}).get("shipyard")
        if tool is not None:
            yield str(path.relative_to(ROOT)), tool
    for path in sorted(ROOT.glob("examples/*/shipyard.toml")):  # its top level is [tool.shipyard]'s
        table = tomllib.loads(path.read_text())
        yield str(path.relative_to(ROOT)), {k: v for k, v in table.items() if k not in _own_tables()}


def _text_of(node: ast.expr) -> str | None:
    """The string an expression of a test makes, its computed parts stood in for by PLACEHOLDER."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text_of(node.left), _text_of(node.right)
        return None if left is None else left + (right if right is not None else "")
    return None


def _tables_in_tests() -> Iterator[tuple[str, dict[str, object], bool]]:
    """(where, table, is_toml) for each [tool.shipyard] text and each options dict in the tests."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.Dict)
                and node.keys
                and all(isinstance(k, ast.Constant) and k.value in OPTIONS for k in node.keys)
            ):
                try:
                    yield where, ast.literal_eval(node), False
                except ValueError:
                    continue
            elif isinstance(node, ast.expr) and not isinstance(node, ast.Constant | ast.JoinedStr):
                continue
            text = _text_of(node) if isinstance(node, ast.expr) else None
            if text and "[tool.shipyard" in text:
                try:
                    data = tomllib.loads(text)
                except tomllib.TOMLDecodeError:
                    continue  # a fragment, or a broken file on purpose
                tool = data.get("tool", {}).get("shipyard")
                if isinstance(tool, dict):
                    yield where, tool, True


def _errors(table: dict[str, object]) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(table)]


def test_the_schema_is_a_valid_draft_07_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert set(SCHEMA["properties"]) == {*OPTIONS, "repositories", "ci", "workspace"}


@pytest.mark.parametrize(("where", "table"), [*_tables_in_markdown(), *_tables_in_examples()])
def test_every_example_of_the_docs_and_examples_validates(where: str, table: dict[str, object]) -> None:
    assert _errors(table) == [], where


def test_the_tables_the_tests_write_validate_where_shipyard_takes_them(tmp_path: Path) -> None:
    found = list(_tables_in_tests())
    assert len(found) >= 40, f"only {len(found)} tables found in the tests: is the extraction broken?"
    disagree = []
    for where, table, _ in found:
        try:
            from_table(tmp_path, table)
            if "ci" in table:  # [tool.shipyard.ci] is read by ci init, not by the release's config
                choose(table["ci"], "[tool.shipyard.ci]", "1.0.0")
            taken, why = True, ""
        except ConfigError as exc:
            taken, why = False, str(exc)
        errors = _errors(table)
        if taken and errors:
            disagree.append(f"{where}: shipyard takes {table}, the schema says {errors}")
        if not taken and not errors and not any(words in why for words in UNSEEABLE):
            disagree.append(f"{where}: shipyard refuses {table} ({why}), the schema takes it")
    assert disagree == []


def test_a_table_with_a_mistake_fails_the_schema() -> None:
    assert _errors({"stages": ["testpypi"], "stagess": ["pypi"]})
    assert _errors({"retries": -1})
    assert _errors({"commit-parser": "angular"})
    assert _errors({"repositories": {"corp": {"simple-url": "https://x/simple/"}}})
    assert _errors({"ci": {"install": "shipyard-release $(evil)"}})
    assert _errors({"stages": ["testpypi", "pypi"], "verify-timeout": 30}) == []
