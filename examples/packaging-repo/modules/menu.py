"""A menu of the day, built from the recipes package."""

import recipes
from components.formatting import bullet_list


def menu() -> str:
    """Today's menu: every recipe, as a bullet list."""
    return "Today:\n" + bullet_list(recipes.names())
