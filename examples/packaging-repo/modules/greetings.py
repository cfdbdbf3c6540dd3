"""Friendly greetings, in several languages."""

__package_metadata__ = {
    "keywords": ["greeting", "example"],
    "classifiers": ["Programming Language :: Python :: 3"],
}

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola"}


def greet(name: str, language: str = "en") -> str:
    """A greeting for `name` in `language` (English when the language is unknown)."""
    return f"{GREETINGS.get(language, GREETINGS['en'])}, {name}!"
