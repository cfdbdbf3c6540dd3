import hello_shipyard


def test_greeting() -> None:
    assert hello_shipyard.greeting() == "hello from a verified release"


def test_runs_from_the_installed_wheel() -> None:
    # test-install runs this file against the wheel, never against src/
    assert "site-packages" in hello_shipyard.__file__
