"""shipyard.toml -> the same frozen Config a single project gets, with tags per package by default."""

from __future__ import annotations

from collections.abc import Mapping

from shipyard import config
from shipyard.assemble.layout import CONFIG, Repo
from shipyard.config import Config

OWN_TABLES = ("layout", "packages")  # shipyard.toml tables that are not release options
TAG = "{package}-v{version}"


def load(repo: Repo, environ: Mapping[str, str], flags: Mapping[str, object] | None = None) -> Config:
    options = {k: v for k, v in repo.table.items() if k not in OWN_TABLES}
    options.setdefault("tag", TAG)
    return config.from_table(
        repo.root, options, environ=environ, flags=flags, where=CONFIG, also_known=OWN_TABLES
    )
