"""`shipyard status`: every package of a packaging repository, where it stands.

The version in the repository (its last tag), what changed since, the next version, and the
versions each configured index serves (read anonymously where the index allows it, else with the
stage's credential).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shipyard.assemble.layout import Repo
from shipyard.config import Config
from shipyard.dists import NotADist, parse_filename
from shipyard.errors import ShipyardError
from shipyard.index import credentials
from shipyard.plan.changed import Package, survey
from shipyard.plan.target import rules


@dataclass
class Status:
    package: Package
    on_index: dict[str, list[str] | None] = field(default_factory=dict)  # None: could not be read

    def as_json(self) -> dict[str, object]:
        return {**self.package.as_json(), "indexes": self.on_index}


def status(repo: Repo, config: Config, environ: Mapping[str, str]) -> list[Status]:
    from packaging.version import InvalidVersion, Version

    from shipyard.index.remote import session
    from shipyard.publish.publish import read

    http = session()
    stages = [config.repository(n) for n in config.stages]
    creds = {}
    for stage in stages:
        try:
            creds[stage.name] = credentials.resolve(stage, repo.root, environ)
        except ShipyardError:
            creds[stage.name] = None  # anonymous reads work on most indexes
    found = []
    for package in survey(repo, rules(config), only_changed=False):
        row = Status(package)
        for stage in stages:
            try:
                listing = read(http, stage, package.name, creds[stage.name])
            except ShipyardError:
                row.on_index[stage.name] = None
                continue
            versions = set()
            for filename in listing.files:
                try:
                    versions.add(Version(parse_filename(filename)[2]))
                except (NotADist, InvalidVersion):
                    continue
            row.on_index[stage.name] = [str(v) for v in sorted(versions)]
        found.append(row)
    return found
