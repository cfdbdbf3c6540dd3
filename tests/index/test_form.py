"""The upload form shipyard writes (index/form.py) is field for field the one twine sends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from twine.package import PackageFile
from twine.repository import Repository as TwineRepository

from shipyard.dists import Dist, identify, read_manifest
from shipyard.errors import CheckError
from shipyard.index import form
from tests.helpers import provenance_standin
from tests.helpers.projects import ShipyardCLI, git, make_project

RICH = """\
keywords = ["release", "packaging"]
license = "MIT"
authors = [{ name = "Ada", email = "ada@example.invalid" }]
maintainers = [{ name = "Grace", email = "grace@example.invalid" }]
classifiers = ["Programming Language :: Python :: 3", "Topic :: Software Development :: Build Tools"]
dependencies = ["requests>=2.31", 'tomli>=2; python_version < "3.11"']

[project.optional-dependencies]
test = ["pytest>=8"]

[project.urls]
Homepage = "https://example.invalid/tiny"
Issues = "https://example.invalid/tiny/issues"
"""

# the fields of older metadata versions that no modern backend writes
LEGACY = """\
Metadata-Version: 2.2
Name: Legacy.Pkg_Name
Version: 2.0
Platform: linux
Platform: macos
Supported-Platform: manylinux2014_x86_64
Summary: A legacy package
Home-page: https://example.invalid/legacy
Download-URL: https://example.invalid/legacy/2.0
Keywords: one,two
Author: Ada
Author-email: ada@example.invalid
Maintainer: Grace
Maintainer-email: grace@example.invalid
License: BSD
Classifier: Development Status :: 5 - Production/Stable
Requires-Dist: requests
Requires-Python: >=3.8
Requires-External: libfoo (>1.0)
Project-URL: Source, https://example.invalid/legacy/src
Provides-Extra: fast
Provides-Dist: legacy_pkg_name (2.0)
Obsoletes-Dist: oldpkg
Dynamic: Classifier
Description-Content-Type: text/markdown

# Legacy

The long description.
"""


def twine_sends(dist: Dist) -> list[tuple[str, Any]]:
    package = PackageFile.from_filename(str(dist.path), comment=None)
    fields: list[tuple[str, Any]] = TwineRepository._convert_metadata_to_list_of_tuples(
        package.metadata_dictionary()
    )
    return [*fields, (":action", "file_upload"), ("protocol_version", "1")]


@pytest.mark.integration
def test_the_form_of_a_real_sdist_and_wheel_is_what_twine_sends(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", tool=RICH, with_tests=False)
    (root / "LICENSE").write_text("MIT License\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "license")
    assert shipyard("build", str(root)).code == 0
    dists = read_manifest(root / "dist")
    assert sorted(d.kind for d in dists) == ["sdist", "wheel"]
    for dist in dists:
        sent = form.fields(dist)
        assert sent == twine_sends(dist)
        names = {name for name, _ in sent}
        assert {"classifiers", "requires_dist", "project_urls", "keywords", "license_expression"} <= names


def test_the_form_of_legacy_metadata_fields_is_what_twine_sends(tmp_path: Path) -> None:
    wheel = tmp_path / "Legacy.Pkg_Name-2.0-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("legacy_pkg_name.py", "X = 1\n")
        zf.writestr("Legacy.Pkg_Name-2.0.dist-info/METADATA", LEGACY)
    dist = identify(wheel)
    sent = form.fields(dist)
    assert sent == twine_sends(dist)
    assert ("name", "Legacy.Pkg-Name") in sent and ("pyversion", "py2.py3") in sent
    assert ("platform", "macos") in sent and ("keywords", "one, two") in sent
    assert dist == identify(wheel) and hash(dist) == hash(identify(wheel)), "the metadata read is no field"


def test_invalid_metadata_is_not_uploaded(tmp_path: Path) -> None:
    wheel = tmp_path / "bad-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("bad-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: bad\nVersion: one\n")
    with pytest.raises(
        CheckError, match=r"^bad-1\.0-py3-none-any\.whl: invalid metadata: .*not uploading it"
    ):
        form.fields(identify(wheel))


def test_attestations_go_in_one_field_as_twine_sends_them(tmp_path: Path) -> None:
    wheel = tmp_path / "Legacy.Pkg_Name-2.0-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("Legacy.Pkg_Name-2.0.dist-info/METADATA", LEGACY)
    dist = identify(wheel)
    objects = [{"version": 1, "n": i} for i in range(2)]  # the form does not read them: the uploader checks
    files = []
    for i, obj in enumerate(objects):
        files.append(tmp_path / f"{wheel.name}.{i}.attestation")
        files[-1].write_text(json.dumps(obj))
    package = PackageFile.from_filename(str(wheel), comment=None)
    package.add_attestations([str(f) for f in files])
    twine = TwineRepository._convert_metadata_to_list_of_tuples(package.metadata_dictionary())
    sent = form.fields(dist, objects)
    assert sent == [*twine, (":action", "file_upload"), ("protocol_version", "1")]
    assert [value for name, value in sent if name == "attestations"] == [json.dumps(objects)]


IMPORTS = """\
import-names = ["tiny_pkg", "tiny_pkg_compat; private"]
import-namespaces = ["tiny_ns"]

[tool.hatch.build.targets.wheel]
packages = ["src/tiny_pkg", "src/tiny_pkg_compat", "src/tiny_ns"]
"""


def pep794_project(tmp_path: Path) -> Path:
    """tiny-pkg declaring its import names and a namespace (PEP 794), which hatchling writes as
    Metadata 2.5."""
    root = make_project(tmp_path / "proj", with_tests=False)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text().replace(
        'requires-python = ">=3.9"\n', 'requires-python = ">=3.9"\n' + IMPORTS
    )
    pyproject.write_text(text)
    for package in ("tiny_pkg_compat", "tiny_ns/inner"):
        (root / "src" / package).mkdir(parents=True)
        (root / "src" / package / "__init__.py").write_text("X = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "import names")
    return root


PEP794_FIELDS = [
    ("import_name", "tiny_pkg"),
    ("import_name", "tiny_pkg_compat; private"),
    ("import_namespace", "tiny_ns"),
]


@pytest.mark.integration
def test_metadata_2_5_import_names_go_in_the_form_as_the_upload_api_names_them(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = pep794_project(tmp_path)
    assert shipyard("build", str(root)).code == 0
    for dist in read_manifest(root / "dist"):
        assert dist.raw_metadata["metadata_version"] == "2.5", "hatchling writes PEP 794 as 2.5"
        sent = form.fields(dist)
        assert sorted(f for f in sent if f[0].startswith("import_")) == PEP794_FIELDS
        # every other field is twine's, in twine's order; twine 7 sends no import_name at all
        assert [f for f in sent if not f[0].startswith("import_")] == twine_sends(dist)
        assert not any(name.startswith("import") for name, _ in twine_sends(dist))


@pytest.mark.integration
def test_publish_sends_the_import_names_on_the_wire(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """What an index receives (the stand-in keeps the parsed multipart form of each upload)."""
    root = pep794_project(tmp_path)
    assert shipyard("build", str(root)).code == 0
    with provenance_standin.running() as served:
        run = shipyard(
            "publish", "--repository-url", served.upload_url, "--simple-url", served.simple_url, "-C", str(root),
            env={"SHIPYARD_CUSTOM_USERNAME": "someone", "SHIPYARD_CUSTOM_PASSWORD": "a-password-long-enough"},
        )  # fmt: skip
        assert run.code == 0, run.text
        assert len(served.uploads) == 2 and served.problems == []
        for upload in served.uploads:
            assert upload.fields["metadata_version"] == ["2.5"]
            assert upload.fields["import_name"] == ["tiny_pkg", "tiny_pkg_compat; private"]
            assert upload.fields["import_namespace"] == ["tiny_ns"]
