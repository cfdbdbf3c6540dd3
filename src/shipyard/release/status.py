"""`shipyard status`: every package of a packaging repository, where it stands.

The version in the repository (its last tag), what changed since, the next version, and the
versions each configured index serves (read anonymously where the index allows it, else with the
stage's credential).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.assemble.layout import Repo
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.index.base import Index
from shipyard.plan.changed import Package, survey
from shipyard.plan.target import rules
from shipyard.publish.lower import served_versions


@dataclass
class Status:
    package: Package
    on_index: dict[str, list[str] | None] = field(default_factory=dict)  # None: could not be read

    @property
    def highest(self) -> dict[str, str | None]:
        """Each stage's highest version (None: none there, or unreadable)."""
        return {where: versions[-1] if versions else None for where, versions in self.on_index.items()}

    def as_json(self) -> dict[str, object]:
        return {**self.package.as_json(), "indexes": self.on_index, "highest": self.highest}


def status(repo: Repo, config: Config, indexes: Sequence[Index]) -> list[Status]:
    """Every package of `repo`, and the versions each of `indexes` (the stages) serves of it."""
    found = []
    for package in survey(repo, rules(config), only_changed=False):
        row = Status(package)
        for index in indexes:
            where = index.repository.name
            try:
                listing = index.read(package.name)
            except ShipyardError:
                row.on_index[where] = None
                continue
            row.on_index[where] = [str(v) for v in served_versions(listing)]
        found.append(row)
    return found
