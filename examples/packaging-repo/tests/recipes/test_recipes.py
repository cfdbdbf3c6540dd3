from recipes import names, recipe


def test_data_files_are_installed() -> None:
    assert names() == ["pancakes", "salad"]
    assert recipe("salad")["ingredients"] == ["lettuce", "tomato", "olive oil"]
