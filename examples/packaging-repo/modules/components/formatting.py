"""Shared text helpers, vendored into each package that imports them."""


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)
