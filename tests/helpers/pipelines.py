"""Generated CI files for a single project and a packaging repository, every CI x trigger."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.projects import git, make_project

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


SCHEMAS = {
    "github": ["--builtin-schema", "vendor.github-workflows"],
    "gitlab": ["--builtin-schema", "vendor.gitlab-ci"],
    "azure": ["--builtin-schema", "vendor.azure-pipelines", "--regex-variant", "python"],
    "travis": ["--builtin-schema", "vendor.travis"],
}


SHELL_KEYS = {"run", "script", "before_script", "after_script", "bash", "install", "before_install"}


SINGLE_TRIGGERS = [None, ["branch", "pypi-release"]]


REPO_TRIGGERS = [None, ["branch", "release"]]


SINGLE_TOOL = '[tool.shipyard]\nstages = ["testpypi", "pypi"]\n\n[tool.ruff]\nline-length = 100\n'


REPO_TOML = """\
stages = ["feed", "pypi"]
tag = "{package}-v{version}"

[repositories.feed]
upload-url = "https://pkgs.dev.azure.com/org/_packaging/feed/pypi/upload/"
simple-url = "https://pkgs.dev.azure.com/org/_packaging/feed/pypi/simple/"
"""


def make_single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single package with ruff, releasing to testpypi then pypi, on Python 3.10 and later."""
    root = tmp_path_factory.mktemp("single") / "tiny-pkg"
    make_project(root, tool=SINGLE_TOOL)
    path = root / "pyproject.toml"
    path.write_text(path.read_text().replace('requires-python = ">=3.9"', 'requires-python = ">=3.10"'))
    git(root, "commit", "-qam", "3.10 and later")
    return root


FEED_TOOL = """[tool.shipyard]
stages = ["teamfeed", "pypi"]

[tool.shipyard.repositories.teamfeed]
upload-url = "https://pkgs.dev.azure.com/contoso/tools/_packaging/teamfeed/pypi/upload/"
simple-url = "https://pkgs.dev.azure.com/contoso/tools/_packaging/teamfeed/pypi/simple/"
"""


def make_feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single package releasing to a project-scoped Azure Artifacts feed (tools/teamfeed), then pypi."""
    root = tmp_path_factory.mktemp("feed") / "feed-pkg"
    make_project(root, "feed-pkg", tool=FEED_TOOL)
    return root


def make_compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single package with extension modules (a [tool.cibuildwheel] table), to testpypi then pypi."""
    root = tmp_path_factory.mktemp("compiled") / "fast-pkg"
    make_project(root, "fast-pkg", tool=SINGLE_TOOL + '\n[tool.cibuildwheel]\nbuild = "cp3*"\n')
    return root


def make_packrepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packaging repository releasing to an Azure Artifacts feed then pypi."""
    root = tmp_path_factory.mktemp("repo") / "tools"
    root.mkdir()
    git(root, "init", "-q")
    run = [sys.executable, "-m", "shipyard", "-C", str(root)]
    subprocess.run([*run[:3], "init", "--packaging-repo", str(root)], check=True, capture_output=True)
    subprocess.run([*run[:3], "new", "word_count", "-C", str(root)], check=True, capture_output=True)
    (root / "shipyard.toml").write_text(REPO_TOML)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a packaging repository")
    return root


def cases() -> Iterator[Any]:
    for ci in SCHEMAS:
        for trigger in SINGLE_TRIGGERS:
            yield pytest.param(ci, "single", trigger, id=f"{ci}-single-{'-'.join(trigger or ['default'])}")
        for trigger in REPO_TRIGGERS:
            yield pytest.param(ci, "packrepo", trigger, id=f"{ci}-repo-{'-'.join(trigger or ['default'])}")
        yield pytest.param(ci, "feed", None, id=f"{ci}-feed-default")
        yield pytest.param(ci, "compiled", None, id=f"{ci}-compiled-default")
