"""Are the dists fit for the target index? Metadata valid, README renders, names and versions right.

Every problem is collected, then reported together: one round trip to fix them all.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.metadata import Metadata
from packaging.utils import canonicalize_name

from shipyard import events
from shipyard.check import contents, members, versions
from shipyard.check.pypi import pypi_problems
from shipyard.dists import Dist, metadata_findings
from shipyard.errors import CheckError


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _readme(dist: Dist, meta: Metadata, report: Report) -> None:
    text, kind = meta.description, meta.description_content_type
    if not text:
        report.warnings.append(f"{dist.filename}: no long description (README): the index page will be empty")
        return
    content_type = (kind or "text/x-rst").split(";", 1)[0].strip().lower()
    if content_type == "text/x-rst":
        from readme_renderer.rst import render  # docutils: only when there is reStructuredText

        stream = io.StringIO()
        if render(text, stream=stream) is None:
            lines = [line for line in stream.getvalue().splitlines() if line.strip()]
            detail = lines[0] if lines else "reStructuredText errors"
            if kind:
                report.problems.append(f"{dist.filename}: the README does not render: {detail}")
            else:  # a private index shows it as text; check.pypi refuses it for a public one
                report.warnings.append(
                    f"{dist.filename}: the README does not render as reStructuredText, which is "
                    f"assumed when no content type is given: {detail}"
                )


def _names(dist: Dist, meta: Metadata, public: bool, report: Report) -> None:
    name, parsed = meta.name, meta.version  # valid: metadata_problems found nothing
    version = str(parsed)
    if canonicalize_name(name) != dist.name:
        report.problems.append(f"{dist.filename}: the file name says {dist.name}, the metadata says {name}")
    if version != dist.version:
        report.problems.append(
            f"{dist.filename}: the file name says {dist.version}, the metadata says {version}"
        )
    if public and parsed.local is not None:
        report.problems.append(
            f"{dist.filename}: local version '{version}' (+{parsed.local}) cannot go to a public index"
        )
    normalized = canonicalize_name(name).replace("-", "_")
    if not dist.filename.startswith(f"{normalized}-"):
        report.problems.append(
            f"{dist.filename}: the file name is not normalized (expected it to start with '{normalized}-')"
        )


def check(
    dists: list[Dist],
    *,
    public: bool,
    allow_files: Sequence[str] = (),
    emit: events.Emit = events.ignore,
    whole: bool = True,
) -> Report:
    """Check every dist; CheckError listing every problem found (warnings are only reported).
    `whole`: the dists are a whole release (one sdist); `publish FILE...` may name a few of one."""
    events.step(emit, f"checking {len(dists)} files" + (" for a public index" if public else ""))
    report = Report()
    sdists = [d for d in dists if d.kind == "sdist"]
    if whole and len(sdists) != 1:
        report.problems.append(f"a release has exactly one sdist, this one has {len(sdists)}")
    scanned = contents.each(dists, allow_files)
    for dist, found in zip(dists, scanned, strict=True):
        if unsafe := members.unsafe(dist):  # nothing else of it is read: it is refused as it is
            report.problems += unsafe
            continue
        report.problems += found
        report.problems += versions.problems(dist)  # a stale __version__ in the import package
        problems, odd = metadata_findings(dist)
        report.warnings += [f"{dist.filename}: {w}" for w in odd]
        if problems:
            report.problems += [f"{dist.filename}: {p}" for p in problems]
        else:
            _names(dist, dist.metadata, public, report)
            _readme(dist, dist.metadata, report)
            if public:
                report.problems += pypi_problems(dist)
    for text in report.warnings:
        events.warning(emit, text)
    if report.problems:
        first = report.problems[0]
        # one error line; the others are the detail that --verbose prints
        more = (
            f" (and {len(report.problems) - 1} more problem(s): --verbose lists them)"
            if len(report.problems) > 1
            else ""
        )
        raise CheckError(first + more, detail="\n".join(report.problems))
    events.info(emit, f"{len(dists)} files pass the checks")
    return report
