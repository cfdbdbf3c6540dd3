from __future__ import annotations

from shipyard.secrets import MASK, Secret, redact


def test_secret_never_prints() -> None:
    s = Secret("hunter2-very-secret")
    assert str(s) == MASK and repr(s) == f"Secret({MASK})" and f"{s}" == MASK
    assert s.reveal() == "hunter2-very-secret"


def test_redact_masks_known_values_url_passwords_and_pypi_tokens() -> None:
    Secret("s3cr3t-value")
    text = redact(
        "auth s3cr3t-value at https://user:p4ss@host/x and pypi-AgEIcHlwaS5vcmcCJDAx0123456789abcdef"
    )
    assert "s3cr3t-value" not in text and "p4ss" not in text and "AgEIcHlwaS5vcmc" not in text
    assert "https://user:***@host/x" in text


def test_short_values_are_not_registered() -> None:
    Secret("ab")
    assert redact("a cab") == "a cab"
