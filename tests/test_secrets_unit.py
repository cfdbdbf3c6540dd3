from __future__ import annotations

import base64
import json

from shipyard.secrets import MASK, Secret, redact, redact_data, register_login, reliable


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


def test_a_short_secret_is_masked_only_as_a_whole_token() -> None:
    Secret("true")
    Secret("test")
    assert redact("untrue, test_install, attest") == "untrue, test_install, attest"
    assert redact("password is test, then true") == f"password is {MASK}, then {MASK}"


def test_structured_output_is_redacted_value_by_value_before_it_is_serialized() -> None:
    Secret("1.0.0")
    Secret("true")
    Secret('qu"ote\\back-slash')
    data = {"ok": True, "test_install": "1.0.0", "nested": [{"error": 'said qu"ote\\back-slash'}]}
    doc = json.loads(json.dumps(redact_data(data)))
    # a field equal to a short secret is an ordinary value (a version): only reliable ones are masked
    assert doc == {"ok": True, "test_install": "1.0.0", "nested": [{"error": f"said {MASK}"}]}


def test_the_escaped_form_of_a_secret_is_masked_in_text_holding_json() -> None:
    Secret('qu"ote\\back-slash')
    echoed = json.dumps({"password": 'qu"ote\\back-slash'})
    assert "back-slash" not in redact(echoed)


def test_basic_auth_forms_latin1_and_utf8_are_masked_and_unicode_never_crashes() -> None:
    register_login("user", "pässwörd-latin")  # requests sends this latin-1 encoded
    register_login("user", "p€ss-utf8-only")  # € has no latin-1 form: shipyard sends UTF-8
    latin = base64.b64encode("user:pässwörd-latin".encode("latin-1")).decode()
    utf8 = base64.b64encode("user:p€ss-utf8-only".encode()).decode()
    assert redact(f"Authorization: Basic {latin}") == f"Authorization: Basic {MASK}"
    assert redact(f"Authorization: Basic {utf8}") == f"Authorization: Basic {MASK}"


def test_reliable_length() -> None:
    assert not reliable("true") and not reliable("1.0.0") and reliable("pypi-AgEIcHlwaS5vcmc")
