"""A credential that is also an ordinary word or number (`true`, `test`, `1.0.0`) never corrupts
output or records: --json stays valid JSON with its keys and booleans, and the audit log keeps the
real version, because structured data is redacted value by value and records hold no secret."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.apache import HtpasswdFile

pytestmark = pytest.mark.integration

LOGINS = {"alpha": "true", "beta": "test", "gamma": "1.0.0"}


def test_short_passwords_leave_json_and_the_audit_log_intact(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    htpasswd = HtpasswdFile(str(fresh_pypiserver.root.parent / "htpasswd"))
    for user, password in LOGINS.items():
        htpasswd.set_password(user, password)
    htpasswd.save()
    stages = {name: fresh_pypiserver for name in LOGINS}
    tool = '[tool.shipyard]\nstages = ["alpha", "beta", "gamma"]\n\n' + repositories_toml(**stages)
    root = make_project(tmp_path / "proj", tool=tool)
    env = {}
    for user, password in LOGINS.items():
        env[f"SHIPYARD_{user.upper()}_USERNAME"] = user
        env[f"SHIPYARD_{user.upper()}_PASSWORD"] = password

    run = shipyard("release", "--json", "--no-test-install", "-C", str(root), env=env)

    assert run.code == 0, run.text
    doc = json.loads(run.out)
    for user in LOGINS:  # each short credential is named by its source (a warning: in --json, listed)
        said = f"the credential for {user} from SHIPYARD_{user.upper()}_USERNAME/PASSWORD is too short"
        assert any(w.startswith(said) for w in doc["warnings"]), doc["warnings"]  # valid JSON: no `"ok": ***`
    # a string equal to a password is still masked (the second wall cannot tell them apart: hence
    # the warning about short credentials), but as a value: the document keeps its shape
    assert doc["ok"] is True and doc["version"] == "1.0.0" and doc["name"] == "tiny-pkg"
    assert "test_install" in doc and "***_install" not in run.out
    assert [s["verified"] for s in doc["stages"]] == [True, True, True]
    records = [json.loads(line) for line in (root / ".shipyard" / "audit.jsonl").read_text().splitlines()]
    assert [r["repository"]["name"] for r in records] == ["alpha", "beta", "gamma"]
    assert {r["version"] for r in records} == {"1.0.0"} and all(r["complete"] is True for r in records)
    audit = shipyard("audit", "--json", "-C", str(root), env=env)
    assert audit.code == 0 and len(json.loads(audit.out)["records"]) == 3, audit.text
