"""`shipyard version`: the project's version now, and where it comes from."""

from __future__ import annotations

from dataclasses import dataclass

from shipyard.builder.pep517 import metadata_version
from shipyard.config import Config, read_pyproject
from shipyard.errors import BuildError
from shipyard.plan.source import Declared
from shipyard.plan.target import project_identity, rules
from shipyard.plan.versions import Tagged, parse_version, released
from shipyard.tools import git


@dataclass(frozen=True)
class Current:
    name: str
    version: str | None
    source: str
    declared: Declared
    last: Tagged | None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "declared": self.declared.as_json(),
            "last_tag": self.last.tag if self.last else None,
            "last_version": str(self.last.version) if self.last else None,
        }


def current(config: Config, *, isolated: bool = True) -> Current:
    """The project's version now, and where it comes from: the project's files, the build backend
    (dynamic versions), or failing those the last matching tag."""
    pyproject = read_pyproject(config.root)
    name, declared = project_identity(config.root, pyproject)
    tags = released(git.tags(config.root), rules(config).pattern, name)
    last = tags[-1] if tags else None
    if declared.version is not None:
        parse_version(declared.version, f"the version in {declared.source}")
        return Current(name, declared.version, declared.source, declared, last)
    try:
        return Current(
            name,
            metadata_version(config.root, isolated=isolated),
            "dynamic, via the build backend",
            declared,
            last,
        )
    except BuildError:
        if last is None:
            raise
        return Current(name, str(last.version), f"the last matching tag, {last.tag}", declared, last)
