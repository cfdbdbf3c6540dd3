from menu import menu


def test_menu_lists_every_recipe() -> None:
    assert menu() == "Today:\n- pancakes\n- salad"
