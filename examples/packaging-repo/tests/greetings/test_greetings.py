from greetings import greet


def test_greet_in_french() -> None:
    assert greet("Ada", "fr") == "Bonjour, Ada!"


def test_unknown_language_falls_back_to_english() -> None:
    assert greet("Ada", "xx") == "Hello, Ada!"
