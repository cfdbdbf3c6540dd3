"""What a built wheel needs at run time, read from its metadata."""

from __future__ import annotations

import email.parser

from shipyard.dists import Dist, metadata_text


def run_requirements(wheel: Dist) -> list[str]:
    """Requires-Dist entries that apply without extras (markers are left for the installer)."""
    headers = email.parser.HeaderParser().parsestr(metadata_text(wheel))
    return [str(r) for r in headers.get_all("Requires-Dist") or [] if "extra" not in str(r).split(";", 1)[-1]]
