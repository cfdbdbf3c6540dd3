"""The form fields of the legacy upload API for one dist, the way twine sends them.

Core metadata goes as written in the dist (not re-serialized), each field under its name lower-cased
with `-` as `_` (warehouse's forklift reads them back so), then the file's type, python tag and
digests (the PEP 740 attestations among them, as twine places them), then the action. Metadata
that `shipyard check` refuses is not uploaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from shipyard.dists import Dist, metadata_problems
from shipyard.errors import CheckError

# packaging's RawMetadata key -> form field; keys not listed are not sent
_SAME = (
    "metadata_version", "name", "version", "summary", "description", "keywords", "home_page",
    "author", "author_email", "license", "download_url", "classifiers", "requires", "provides",
    "obsoletes", "maintainer", "maintainer_email", "requires_dist", "provides_dist",
    "obsoletes_dist", "requires_python", "requires_external", "project_urls",
    "description_content_type", "provides_extra", "dynamic", "license_expression",
)  # fmt: skip
_FIELDS = {
    **{key: key for key in _SAME},
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
    # Metadata 2.5 (PEP 794): the upload API names a field as the core metadata spec does, lower-cased
    # with `_` for `-` (Import-Name: import_name), repeated for each value; twine 7 does not send them
    "import_names": "import_name",
    "import_namespaces": "import_namespace",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")


def _safe_name(name: str) -> str:
    """Runs of characters other than ASCII letters, digits and `.` as one `-` (what warehouse expects)."""
    return _UNSAFE.sub("-", name)


def _pyversion(dist: Dist) -> str:
    """`source` for an sdist; a wheel's python tag (`py3`, `cp312`, `py2.py3`) from its file name."""
    if dist.kind == "sdist":
        return "source"
    return dist.filename.removesuffix(".whl").split("-")[-3]


def fields(dist: Dist, attestations: Sequence[Mapping[str, object]] = ()) -> list[tuple[str, str]]:
    """Every field but the file itself (`content`, streamed by the uploader); CheckError if the
    dist's metadata is invalid. `attestations` (PEP 740 objects) go as one JSON list, as twine sends them."""
    if problems := metadata_problems(dist):
        raise CheckError(f"{dist.filename}: {problems[0]}: not uploading it (see shipyard check)")
    sent: list[tuple[str, str]] = []
    for key, value in dist.raw_metadata.items():
        name = _FIELDS.get(key)
        if name is None:
            continue
        if key == "name":
            value = _safe_name(str(value))
        if isinstance(value, dict):  # Project-URL: "label, url"
            sent += [(name, f"{label}, {url}") for label, url in value.items()]
        elif key == "keywords" and isinstance(value, list):
            sent.append((name, ", ".join(value)))
        elif isinstance(value, list):
            sent += [(name, item) for item in value]
        else:
            sent.append((name, str(value)))
    sent += [
        ("pyversion", _pyversion(dist)),
        ("filetype", "sdist" if dist.kind == "sdist" else "bdist_wheel"),
        ("sha256_digest", dist.sha256),
        *([("attestations", json.dumps(list(attestations)))] if attestations else []),  # twine's place
        ("blake2_256_digest", dist.blake2_256),
        (":action", "file_upload"),
        ("protocol_version", "1"),
    ]
    return sent
