"""The release path loads only what it uses (issue 25, point 6): a release whose credential comes
from the environment or ~/.pypirc never loads the keyring library, and one outside a CI that issues
OIDC tokens never loads the OIDC exchange (index.oidc, `id`) or sigstore; the test-install, the
packaging-repository code and PyYAML stay out unless asked. The modules a real `shipyard release`
process held at its exit are read (not timed: speed is benchmarks/bench_release.py's)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml

# runs the CLI as `python -m shipyard` does, then writes the names of the modules it loaded
_DUMPER = """
import runpy, sys
out, sys.argv = sys.argv[1], ["shipyard", *sys.argv[2:]]
try:
    runpy.run_module("shipyard", run_name="__main__", alter_sys=True)
finally:
    with open(out, "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
"""
NEVER = (
    "keyring",  # the credential came from elsewhere
    "id",  # the CI's OIDC token: not in a CI
    "shipyard.index.oidc",
    "shipyard.index.minted",
    "sigstore",  # attestations: signed only under trusted publishing
    "pypi_attestations",
    "cryptography",
    "secretstorage",
    "jeepney",
    "poetry",  # a Poetry project's test group only
    "yaml",  # paa's configuration, ci check
    "shipyard.assemble",  # packaging repositories
    "shipyard.check.testinstall",  # --no-test-install
)


def _loaded(
    shipyard: ShipyardCLI, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[set[str], dict[str, object]]:
    dump = tmp_path / "modules.txt"

    def wrap(cmd: list[str]) -> list[str]:
        assert cmd[1:3] == ["-m", "shipyard"]
        return [sys.executable, "-c", _DUMPER, str(dump), *cmd[3:]]

    run = shipyard(*args, env=env, wrap=wrap)
    assert run.code == 0, run.text
    doc = json.loads(run.out)
    assert doc["command"] == "release"
    return set(dump.read_text().split()), doc


def _family(modules: set[str], top: str) -> list[str]:
    return sorted(m for m in modules if m == top or m.startswith(top + "."))


def test_a_release_to_the_local_index_loads_none_of_what_it_does_not_use(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj")
    modules, doc = _loaded(shipyard, tmp_path, "release", "--no-test-install", "--json", "-C", str(root))
    assert {"shipyard.builder.pep517", "shipyard.publish.verify", "shipyard.index.local"} <= modules
    assert {top: found for top in NEVER if (found := _family(modules, top))} == {}
    # --json says where the time went, step by step, in order (issue 25, point 6)
    durations = doc["durations"]
    assert isinstance(durations, list)
    assert [(d["step"], d.get("stage")) for d in durations] == [
        ("prepare", None),
        ("build", None),
        ("already-released", None),
        ("check", None),
        ("publish", "local"),
        ("verify", "local"),
        ("record", None),
    ]
    assert all(isinstance(d["seconds"], float) and d["seconds"] >= 0 for d in durations)


@pytest.mark.integration
def test_a_release_with_the_pypirc_credential_never_loads_the_keyring(
    shipyard: ShipyardCLI, tmp_path: Path, home: Path, fresh_pypiserver: TestIndex
) -> None:
    index = fresh_pypiserver
    tool = '[tool.shipyard]\nstages = ["corp"]\n\n' + repositories_toml(corp=index)
    root = make_project(tmp_path / "proj", tool=tool)
    (home / ".pypirc").write_text(
        f"[corp]\nrepository = {index.upload_url}\nusername = {index.username}\npassword = {index.password}\n"
    )
    modules, _ = _loaded(shipyard, tmp_path, "release", "--no-test-install", "--json", "-C", str(root))
    assert index.served_files("tiny-pkg"), "nothing was uploaded"
    assert {"requests", "shipyard.index.remote", "shipyard.tools.keyrings"} <= modules
    assert {top: found for top in NEVER if (found := _family(modules, top))} == {}
