"""A greeting, released by shipyard."""

__version__ = "1.0.0"


def greeting() -> str:
    return "hello from a verified release"


def main() -> None:
    print(greeting())
