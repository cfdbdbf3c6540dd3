"""PEP 792 project status: an index refuses uploads to an archived or quarantined project, so such a
release stops before anything is built, with the index's reason; a deprecated one still takes
uploads (a warning says what the index says).

The status comes with the listing shipyard reads anyway (simple API 1.4: `project-status` in PEP 691
JSON, `<meta name="pypi:project-status">` in HTML); an index that says nothing means active.
"""

from __future__ import annotations

from shipyard import events
from shipyard.errors import UsageError
from shipyard.index.listing import STATUSES, Listing

# what the project's maintainers can do about each status that refuses uploads
_CLOSED = {
    "archived": "its maintainers can unarchive it in the project's settings on the index",
    "quarantined": "the index's administrators hold it (malware review): ask them (PyPI: its support "
    "site) before releasing again",
}


def refuse_closed(name: str, listing: Listing, where: str, emit: events.Emit = events.ignore) -> None:
    """UsageError when `where` serves `name` as archived or quarantined (it refuses uploads); a
    warning when deprecated, or a status PEP 792 does not define."""
    status, reason = listing.status, listing.status_reason
    said = f': "{reason}"' if reason else " (no reason given)"
    if status in _CLOSED:
        raise UsageError(
            f"{where} marks {name} as {status} (PEP 792){said} and refuses uploads to it: "
            f"{_CLOSED[status]}; nothing was uploaded"
        )
    if status == "deprecated":
        events.warning(emit, f"{where} marks {name} as deprecated (PEP 792){said}: it still takes uploads")
    elif status not in STATUSES:
        odd = f'{where} gives {name} the project status "{status}", which PEP 792 does not define'
        events.warning(emit, odd)
