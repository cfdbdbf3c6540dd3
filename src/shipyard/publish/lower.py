"""Never a lower version than the index has: a release below the highest version a stage already
serves is refused before any upload (installers would keep picking the higher one), unless
`allow-lower` says it is a backport on a maintenance line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.dists import NotADist, parse_filename
from shipyard.errors import IndexError_, UsageError
from shipyard.index.base import Index
from shipyard.index.listing import Listing
from shipyard.publish.status import refuse_closed


def served_versions(listing: Listing) -> list[Version]:
    """The versions of the files in `listing`, lowest first (names that are not dists skipped)."""
    versions = set()
    for filename in listing.files:
        try:
            versions.add(Version(parse_filename(filename)[2]))
        except (NotADist, InvalidVersion, ValueError):
            continue
    return sorted(versions)


def highest_served(index: Index, project: str) -> Version | None:
    """The highest version `index` serves of `project`; None when it serves none. IndexError_ and
    the like (ShipyardError) when it cannot be read."""
    versions = served_versions(index.read(project))
    return versions[-1] if versions else None


def _read(index: Index, name: str, emit: events.Emit) -> Listing | IndexError_:
    """What `index` serves for `name` (an archived or quarantined project refused), or why it
    could not be read."""
    where = index.repository.name
    events.step(emit, f"reading what {where} serves for {name}", repository=where)
    try:
        listing = index.read(name, emit)
    except IndexError_ as exc:
        return exc
    refuse_closed(name, listing, where, emit)
    return listing


def read_stages(
    name: str, indexes: Sequence[Index], emit: events.Emit = events.ignore
) -> dict[str, Listing | IndexError_]:
    """What every stage serves for `name` (or why it could not be read), by repository name: read
    before the build, an archived or quarantined project (PEP 792) is refused before anything is
    built; `refuse_lower` takes the result as `known` and reads no stage twice."""
    return {index.repository.name: _read(index, name, emit) for index in indexes}


def refuse_lower(
    name: str,
    version: str,
    indexes: Sequence[Index],
    *,
    allow: bool,
    emit: events.Emit = events.ignore,
    known: Mapping[str, Listing | IndexError_] | None = None,
) -> dict[str, Listing | IndexError_]:
    """UsageError when a stage serves a higher version than `version` (a warning with `allow`), or
    marks the project archived or quarantined (PEP 792). Returns what each stage serves (or why it
    could not be read), by repository name, so that publishing the first stage needs no second
    read; an index that cannot be read is left to publish, which refuses to upload blind. `known`:
    what the stages served for `name` earlier in this run (before the build, or why they could
    not be read then), used instead of reading again."""
    ours = Version(version)
    listings: dict[str, Listing | IndexError_] = {}
    for index in indexes:
        where = index.repository.name
        listings[where] = listing = (known or {}).get(where) or _read(index, name, emit)
        if isinstance(listing, IndexError_):
            continue
        versions = served_versions(listing)
        highest = versions[-1] if versions else None
        if highest is None or highest <= ours:
            continue
        if allow:
            said = f"{name} {version} is lower than {highest}, which {where} serves (--allow-lower)"
            events.warning(emit, said)
            continue
        raise UsageError(
            f"{name} {version} is lower than {highest}, which {where} already serves: release a higher "
            "version, or pass --allow-lower (allow-lower = true) for a backport on a maintenance line"
        )
    return listings
