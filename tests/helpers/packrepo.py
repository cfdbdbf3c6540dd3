"""The bundled example packaging repository, copied into a real git repository per test."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, repositories_toml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "packaging-repo"


def example_repo(tmp_path: Path, stages: str = '"local"', **indexes: TestIndex) -> Path:
    root = tmp_path / "ppr"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("build", "dist", ".shipyard", "__pycache__"))
    text = (root / "shipyard.toml").read_text().replace('stages = ["local"]', f"stages = [{stages}]")
    (root / "shipyard.toml").write_text(
        text + "\n" + repositories_toml(**indexes).replace("tool.shipyard.", "")
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a packaging repository")
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_json(shipyard: ShipyardCLI, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    run = shipyard(*args, "--json", env=env)
    assert run.code == 0, run.text
    doc: dict[str, Any] = json.loads(run.out)
    return doc
