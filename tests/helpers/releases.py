"""Release helpers: credentials for test indexes, a one-stage project, release --json outcomes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml


def creds(**indexes: TestIndex) -> dict[str, str]:
    env = {}
    for name, index in indexes.items():
        env[f"SHIPYARD_{name.upper()}_USERNAME"] = index.username
        env[f"SHIPYARD_{name.upper()}_PASSWORD"] = index.password
    return env


def staging_project(
    tmp_path: Path, index: TestIndex, version: str = "1.0.0", with_tests: bool = False
) -> tuple[Path, dict[str, str]]:
    """A project whose only stage is `index`, named staging, and the credentials for it."""
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=index)
    root = make_project(tmp_path / "proj", version=version, tool=tool, with_tests=with_tests)
    return root, creds(staging=index)


def release_json(shipyard: ShipyardCLI, root: Path, env: dict[str, str], *extra: str) -> dict[str, object]:
    run = shipyard("release", "--json", "-C", str(root), *extra, env=env)
    assert run.code == 0, run.text
    doc: dict[str, object] = json.loads(run.out)
    return doc


def actions(doc: dict[str, object]) -> dict[str, list[str]]:
    stages = doc["stages"]
    assert isinstance(stages, list)
    return {s["repository"]: sorted(f["action"] for f in s["files"]) for s in stages}


def uploads(root: Path) -> list[str]:
    """Every file the audit log (at `root`) says was uploaded, as often as it was."""
    lines = (root / ".shipyard" / "audit.jsonl").read_text().splitlines()
    return sorted(
        f["filename"] for r in map(json.loads, lines) for f in r["files"] if f["action"] == "uploaded"
    )
