"""A pipeline file read into plain Python values that remember their line (for `ci check` findings).

PyYAML's composed node tree carries a mark per node; the values built from it here are dicts,
lists and strings that keep those lines. Keys stay the text they were written as (a GitHub `on:`
is "on", not True), and so do plain yes/no/on/off values, as the CIs' YAML 1.2 parsers read them.
"""

from __future__ import annotations

from typing import Any

import yaml

_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}


class Str(str):
    """A string scalar with the lines it spans in the file (1-based) and the file's lines."""

    line: int
    end: int
    source: list[str]

    def line_of(self, needle: str, after: int = 0) -> int:
        """The file line holding `needle` inside this scalar (a shell line of a `run: |` block): the
        first from line `after` on, else the first of all."""
        needle = needle.strip()
        for start in (max(after, self.line), self.line):
            for number in range(start, self.end + 1):
                if needle and needle in self.source[number - 1]:
                    return number
        return self.line


class Map(dict[str, object]):
    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list[object]):
    line: int
    item_lines: list[int]


def table(value: object) -> Map:
    """`value` if it is a mapping, else an empty one: a file of another shape is the schema's to report."""
    return value if isinstance(value, Map) else Map()


def items(value: object) -> list[object]:
    """`value`'s items if it is a sequence, else none."""
    return list(value) if isinstance(value, list) else []


def load(text: str) -> object:
    """The document's values (a yaml.YAMLError for a file that does not parse)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return None if node is None else _build(node, text.splitlines(), yaml.SafeLoader(""))


def _build(node: yaml.Node, source: list[str], loader: yaml.SafeLoader) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, source, loader)
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_build(item, source, loader) for item in node.value)
        seq.line, seq.item_lines = line, [item.start_mark.line + 1 for item in node.value]
        return seq
    assert isinstance(node, yaml.ScalarNode)
    value: Any = node.value
    plain = node.style is None
    keep = node.tag == "tag:yaml.org,2002:str" or (plain and value.lower() in _YAML11_BOOLS)
    if not keep and node.tag.startswith("tag:yaml.org,2002:"):
        value = loader.construct_object(node)
    if isinstance(value, str):
        text = Str(value)
        text.line, text.source = line, source
        # a block scalar's content starts on the line after its `|`; its end mark is past the block
        end = node.end_mark.line + (1 if node.end_mark.column else 0)
        end = min(end, len(source))
        while end > line and not source[end - 1].strip():  # a block's trailing blank lines
            end -= 1
        text.end = max(line, end)
        return text
    return value


def _mapping(node: yaml.MappingNode, source: list[str], loader: yaml.SafeLoader) -> Map:
    out = Map()
    out.line, out.key_lines = node.start_mark.line + 1, {}
    merged: list[Map] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` (GitLab templates)
            value = _build(value_node, source, loader)
            merged += value if isinstance(value, list) else [value]
            continue
        key = str(key_node.value)
        out[key] = _build(value_node, source, loader)
        out.key_lines[key] = key_node.start_mark.line + 1
    for base in merged:
        for key, value in base.items() if isinstance(base, Map) else ():
            if key not in out:
                out[key] = value
                out.key_lines[key] = base.line_of(key)
    return out


def line_at(doc: object, path: list[str | int]) -> int:
    """The line of the deepest node of `path` (a JSON-schema error's path) found in the document."""
    line, node = getattr(doc, "line", 1), doc
    for step in path:
        if isinstance(node, Map) and step in node:
            line, node = node.line_of(str(step)), node[str(step)]
        elif isinstance(node, Seq) and isinstance(step, int) and step < len(node):
            line, node = node.item_lines[step], node[step]
        else:
            break
    return line
