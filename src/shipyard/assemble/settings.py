"""shipyard.toml -> the same frozen Config a single project gets, with tags per package by default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard import config
from shipyard.assemble.layout import Repo
from shipyard.config import Config

OWN_TABLES = ("layout", "packages")  # shipyard.toml tables that are not release options
TAG = "{package}-v{version}"


def load(repo: Repo, environ: Mapping[str, str], flags: Mapping[str, Any] | None = None) -> Config:
    options = {k: v for k, v in repo.table.items() if k not in OWN_TABLES}
    options.setdefault("tag", TAG)
    return config.load(
        repo.root, environ=environ, flags=flags or {}, pyproject={"tool": {"shipyard": options}}
    )
