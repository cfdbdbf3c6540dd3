"""Recipes shipped as package data, readable with importlib.resources."""

import json
from importlib import resources


def names() -> list[str]:
    """The names of the recipes in the package's data."""
    folder = resources.files("recipes") / "data"
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))


def recipe(name: str) -> dict[str, object]:
    """One recipe: its ingredients and steps."""
    data = (resources.files("recipes") / "data" / f"{name}.json").read_text(encoding="utf-8")
    loaded: dict[str, object] = json.loads(data)
    return loaded
