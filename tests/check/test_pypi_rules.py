"""check --to pypi refuses what PyPI refuses, before any upload; a private index takes the same files."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tests.helpers.projects import ShipyardCLI, git, make_project
from tests.helpers.realsdists import RealSdist

pytestmark = pytest.mark.integration


def problems_of(shipyard: ShipyardCLI, *args: str) -> list[str]:
    """The detail lines of a refused check (--verbose lists every problem)."""
    run = shipyard("check", "--verbose", *args)
    assert run.code == 1, run.text
    assert "Traceback" not in run.err
    return [line for line in run.err.splitlines() if ".whl" in line or ".tar.gz" in line]


def setup_py_tree(real_sdist: RealSdist, requirement: str, dest: Path) -> Path:
    """A setup.py-only sdist's tree, with the empty pyproject.toml that makes it a shipyard project."""
    tree = real_sdist(requirement, dest)
    assert not (tree / "pyproject.toml").exists()
    (tree / "pyproject.toml").write_text("")
    return tree


def project_with(tmp_path: Path, **edits: str) -> Path:
    root = make_project(tmp_path / "proj", with_tests=False)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    for old, new in edits.items():
        text = text.replace(old, new)
    pyproject.write_text(text)
    git(root, "commit", "-qam", "edit")
    return root


def test_a_real_markdown_readme_with_no_content_type_is_refused_for_pypi_only(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path
) -> None:
    # pytest-watch 4.1.0's setup.py passes README.md as long_description with no content type
    tree = setup_py_tree(real_sdist, "pytest-watch==4.1.0", tmp_path / "download")
    assert shipyard("build", str(tree)).code == 0
    private = shipyard("check", "-C", str(tree), "--to", "local")
    assert private.code == 0, private.text
    assert "does not render as reStructuredText" in private.err, "a private index gets a warning"
    problems = problems_of(shipyard, "-C", str(tree), "--to", "pypi")
    assert any(
        p.startswith("error: pytest_watch-4.1.0.tar.gz: Description-Content-Type is missing")
        and 'long_description_content_type="text/markdown"' in p
        for p in problems
    ), problems


def test_a_real_rst_readme_with_no_content_type_passes(
    shipyard: ShipyardCLI, real_sdist: RealSdist, tmp_path: Path
) -> None:
    tree = setup_py_tree(real_sdist, "six==1.10.0", tmp_path / "download")
    assert shipyard("build", str(tree)).code == 0
    run = shipyard("check", "-C", str(tree), "--to", "pypi")
    assert run.code == 0, run.text


def test_a_licence_classifier_next_to_an_expression(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    classifier = "License :: OSI Approved :: MIT License"
    root = project_with(
        tmp_path,
        **{
            'requires-python = ">=3.9"': f'requires-python = ">=3.9"\nlicense = "MIT"\nclassifiers = [{classifier!r}]'
        },
    )
    assert shipyard("build", str(root)).code == 0, "hatchling builds what PyPI refuses"
    assert shipyard("check", "-C", str(root), "--to", "local").code == 0
    problems = "\n".join(problems_of(shipyard, "-C", str(root), "--to", "pypi"))
    for dist in ("tiny_pkg-1.0.0.tar.gz", "tiny_pkg-1.0.0-py3-none-any.whl"):
        assert (
            f"{dist}: Classifier {classifier!r} next to License-Expression (PEP 639): remove the licence classifier"
            in problems
        )


def test_deprecated_and_unknown_classifiers(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    # setuptools, unlike hatchling, does not check classifiers: the file is built and PyPI refuses it
    root = make_project(tmp_path / "proj", with_tests=False, backend="setuptools")
    pyproject = root / "pyproject.toml"
    classifiers = ["Natural Language :: Ukranian", "Programming Language :: Cobol :: 3000"]
    pyproject.write_text(
        pyproject.read_text().replace(
            'requires-python = ">=3.9"', f'requires-python = ">=3.9"\nclassifiers = {classifiers!r}'
        )
    )
    git(root, "commit", "-qam", "classifiers")
    assert shipyard("build", str(root)).code == 0, "setuptools builds what PyPI refuses"
    assert shipyard("check", "-C", str(root), "--to", "local").code == 0
    problems = "\n".join(problems_of(shipyard, "-C", str(root), "--to", "pypi"))
    for dist in ("tiny_pkg-1.0.0.tar.gz", "tiny_pkg-1.0.0-py3-none-any.whl"):
        assert (
            f"{dist}: Classifier 'Natural Language :: Ukranian' is deprecated: use 'Natural Language :: Ukrainian'"
            in problems
        )
        assert (
            f"{dist}: Classifier 'Programming Language :: Cobol :: 3000' is not a trove classifier"
            in problems
        )


def rewrite_metadata(wheel: Path, edit: dict[str, str]) -> Path:
    """The same wheel with its METADATA edited (the file stays a valid zip with a valid RECORD name)."""
    out = wheel.parent / "edited" / wheel.name
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(".dist-info/METADATA"):
                text = data.decode()
                for old, new in edit.items():
                    text = re.sub(old, new, text, count=1, flags=re.M)
                data = text.encode()
            dst.writestr(item, data)
    return out


def test_an_absent_license_file_a_license_next_to_an_expression_and_a_metadata_version_pypi_refuses(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    assert shipyard("build", str(root)).code == 0
    wheel = root / "dist" / "tiny_pkg-1.0.0-py3-none-any.whl"
    edited = rewrite_metadata(
        wheel,
        {
            r"^Metadata-Version: .*$": "Metadata-Version: 2.6",
            r"^Name: (.*)$": r"Name: \1\nLicense-File: COPYING\nLicense-Expression: MIT\nLicense: MIT License",
        },
    )
    sdist = root / "dist" / "tiny_pkg-1.0.0.tar.gz"
    assert shipyard("check", "--to", "local", "-C", str(root), str(sdist), str(edited)).code == 0
    problems = problems_of(shipyard, "--to", "pypi", "-C", str(root), str(sdist), str(edited))
    assert (
        "error: tiny_pkg-1.0.0-py3-none-any.whl: Metadata-Version 2.6 is not one PyPI accepts"
        in "\n".join(problems)
    )
    assert (
        "tiny_pkg-1.0.0-py3-none-any.whl: License-File COPYING is declared but not in the file: add it to the build"
        in "\n".join(problems)
    )
    assert (
        "tiny_pkg-1.0.0-py3-none-any.whl: License next to License-Expression (PEP 639): remove the old"
        in "\n".join(problems)
    )


def test_a_license_file_that_is_there_passes(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        **{
            'requires-python = ">=3.9"': 'requires-python = ">=3.9"\nlicense = "MIT"\nlicense-files = ["LICENSE"]'
        },
    )
    (root / "LICENSE").write_text("MIT License\n")
    git(root, "add", "LICENSE")
    git(root, "commit", "-qm", "licence")
    assert shipyard("build", str(root)).code == 0
    run = shipyard("check", "-C", str(root), "--to", "pypi")
    assert run.code == 0, run.text
