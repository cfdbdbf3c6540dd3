"""The files a workspace release writes: each released member's version (where it declares it),
its CHANGELOG.md section, the requirements it moves, and the members' versions in the root uv.lock.

Paths are relative to the workspace root. TOML is edited with tomlkit (comments and layout kept);
uv.lock's `version` line of each released member is the one edit it needs (the lock's other entries
do not depend on a workspace member's version).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from shipyard.errors import UsageError
from shipyard.plan import changelog
from shipyard.plan import source as versionsource
from shipyard.plan.members import MemberPlan, Pin

CHANGELOG = "CHANGELOG.md"


def _at(folder: str, rel: str) -> str:
    return rel if folder == "." else f"{folder}/{rel}"


def member_edits(p: MemberPlan, date: str, *, with_changelog: bool = True) -> dict[str, bytes]:
    """Every file `p`'s release writes, by path from the workspace root."""
    member, version = p.member, p.version
    assert version is not None
    edits: dict[str, bytes] = {}
    if not member.declared.from_vcs and member.declared.version != version:
        for rel, data in versionsource.edits(member.path, member.declared, version).items():
            edits[_at(member.folder, rel)] = data
    if p.pins:
        key = _at(member.folder, "pyproject.toml")
        text = (
            edits[key].decode("utf-8")
            if key in edits
            else (member.path / "pyproject.toml").read_text("utf-8")
        )
        edits[key] = pinned(text, p.pins).encode("utf-8")
    if with_changelog:
        path = member.path / CHANGELOG
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        try:
            text = changelog.update(old if old and old.strip() else None, version, date, p.plan.notes())
        except ValueError as exc:
            raise UsageError(
                f"{_at(member.folder, CHANGELOG)}: {exc}: remove it or release another version"
            ) from None
        edits[_at(member.folder, CHANGELOG)] = text.encode("utf-8")
    return edits


def pinned(text: str, pins: list[Pin]) -> str:
    """pyproject.toml's text with each pin's requirement moved (dependencies, extras, Poetry's)."""
    import tomlkit

    doc = tomlkit.parse(text)
    moved = {canonicalize_name(pin.on): pin for pin in pins}
    project = doc.get("project", {})
    lists = [project.get("dependencies", [])]
    lists += list(project.get("optional-dependencies", {}).values())
    for items in lists:
        for i, item in enumerate(list(items)):
            try:
                req = Requirement(str(item))
            except InvalidRequirement:
                continue
            pin = moved.get(canonicalize_name(req.name))
            if pin is not None and not pin.poetry:
                items[i] = _with_range(str(item), pin.new)
    poetry = doc.get("tool", {}).get("poetry", {}).get("dependencies", {})
    for name in list(poetry):
        pin = moved.get(canonicalize_name(name))
        if pin is None or not pin.poetry:
            continue
        if isinstance(poetry[name], str):
            poetry[name] = pin.new
        else:
            poetry[name]["version"] = pin.new
    return tomlkit.dumps(doc)


def _with_range(requirement: str, new: str) -> str:
    """`requirement` with its version range replaced by `new` (name, extras and marker as written)."""
    head, sep, tail = requirement.partition(";")
    name = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?", head)
    assert name is not None  # a requirement packaging parsed
    return name[0].rstrip() + new + (" " if sep else "") + sep + tail


def uv_lock(root: Path, versions: Mapping[str, str]) -> dict[str, bytes]:
    """uv.lock with each released member's `version` (by name) set to its new version."""
    path = root / "uv.lock"
    if not versions or not path.is_file():
        return {}
    text = old = path.read_text(encoding="utf-8")
    for name, version in versions.items():
        entry = re.compile(
            rf'(\[\[package\]\]\nname = "{re.escape(canonicalize_name(name))}"\nversion = ")[^"\n]*(")'
        )
        text = entry.sub(rf"\g<1>{version}\g<2>", text, count=1)
    return {"uv.lock": text.encode("utf-8")} if text != old else {}
