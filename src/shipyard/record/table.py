"""The package table in a packaging repository's README: every released package, its version, its
description and where the last stage shows it, between two markers (`shipyard init` writes them).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from shipyard.assemble import metadata
from shipyard.assemble.layout import TABLE_END, TABLE_START, Repo
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.plan.target import rules
from shipyard.plan.versions import released
from shipyard.tools import git


def _link(config: Config, name: str, version: str) -> str:
    """Where the last stage shows the release: PyPI's project page, else the simple-index page."""
    stage = config.repository(config.stages[-1])
    if stage.is_local:
        return ""
    host = urlsplit(stage.simple_url).hostname or ""
    if host in ("pypi.org", "test.pypi.org"):
        return f"[{host}](https://{host}/project/{name}/{version}/)"
    return f"[{stage.name}]({stage.simple_url}{name}/)"


def _table(repo: Repo, config: Config, versions: Mapping[str, str]) -> str:
    lines = ["| package | version | description | link |", "|---|---|---|---|"]
    for module in repo.modules():
        if module.name not in versions:
            continue
        try:
            description = metadata.read(module.path).description
        except ShipyardError:
            description = ""
        version = versions[module.name]
        lines.append(f"| {module.name} | {version} | {description} | {_link(config, module.name, version)} |")
    return "\n".join(lines)


def readme_with_table(repo: Repo, config: Config, new: Mapping[str, str]) -> dict[str, bytes]:
    """README.md with its package table (between the markers) showing every released version, `new`
    (package -> version released now) included; nothing when the README has no markers or is as it was."""
    path = repo.root / "README.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if TABLE_START not in text or TABLE_END not in text:
        return {}
    all_tags, pattern = git.tags(repo.root), rules(config).pattern
    versions = {}
    for module in repo.modules():
        tags = released(all_tags, pattern, module.name)
        if module.name in new or tags:
            versions[module.name] = new.get(module.name) or str(tags[-1].version)
    head, _, rest = text.partition(TABLE_START)
    tail = rest.partition(TABLE_END)[2]
    table = f"{head}{TABLE_START}\n{_table(repo, config, versions)}\n{TABLE_END}{tail}"
    return {"README.md": table.encode("utf-8")} if table != text else {}
