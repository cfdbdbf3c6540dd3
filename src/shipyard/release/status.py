"""`shipyard status`: every package of a packaging repository, where it stands.

The version in the repository (its last tag), what changed since, the next version, and the
versions each configured index serves (read anonymously where the index allows it, else with the
stage's credential).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from shipyard.assemble.layout import Repo
from shipyard.config import Config
from shipyard.dists import NotADist, parse_filename
from shipyard.errors import ShipyardError
from shipyard.index.base import Index
from shipyard.plan.changed import Package, survey
from shipyard.plan.target import rules


@dataclass
class Status:
    package: Package
    on_index: dict[str, list[str] | None] = field(default_factory=dict)  # None: could not be read

    def as_json(self) -> dict[str, object]:
        return {**self.package.as_json(), "indexes": self.on_index}


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
            versions = set()
            for filename in listing.files:
                try:
                    versions.add(Version(parse_filename(filename)[2]))
                except (NotADist, InvalidVersion):
                    continue
            row.on_index[where] = [str(v) for v in sorted(versions)]
        found.append(row)
    return found
