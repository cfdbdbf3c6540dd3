"""A package-auto-assembler repository written the way paa 1.0.5 documents it, with real history.

paa's defaults to the letter: a `.paa.config` that names no folder (so every folder is paa's
default: `python_modules/`, `python_modules/components/`, `cli/`, `api_routes/`, `mcp/`,
`artifacts/`, `drawio/`, `extra_docs/`, `example_notebooks/`, `tests/`, `licenses/`), modules with
`__package_metadata__` (three without it, which paa skips), component bundles without
`__init__.py` imported relatively (`from .components.bundle.file import Name`), paa's import hints,
`.paa/package_mapping.json`, `.paa/tracking/lsts_package_versions.yml` (ahead of the tags for one
package), `version_logs.csv`, release notes, and tags as paa's workflow makes them
(`v<version>_<module>`; early ones end in `.py`; one spelled with dashes).

Third-party requirements are satisfied by stand-in wheels (`standin_wheels`) that tests put on
their own index, so that installs need nothing from outside.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

GIT = ["git", "-c", "user.name=paa", "-c", "user.email=paa@example.invalid", "-c", "commit.gpgsign=false"]
PAA_CONFIG = """\
license_label: 'mit'
classifiers:
- 'Development Status :: 3 - Alpha'
- 'Intended Audience :: Developers'
- 'Programming Language :: Python :: 3'
- 'License :: OSI Approved :: MIT License'
use_commit_messages: True
add_mkdocs_site: True
pylint_threshold: 8.0
docs_url: https://example.invalid/docs
"""
MAPPING = {"yaml": "pyyaml", "PIL": "Pillow", "attr": "attrs", "sklearn": "scikit-learn"}


@dataclass(frozen=True)
class Released:
    """One module paa released: the versions tagged (in order), how each tag is spelled, and
    what the tracking file records."""

    name: str
    tags: tuple[str, ...]  # tag names, oldest first
    tracked: str  # the version in lsts_package_versions.yml


def _tags(name: str, versions: list[str], py_until: int = 0, spelled: str = "") -> tuple[str, ...]:
    """paa's tag names: the first `py_until` name the module file; `spelled` is how the first tag
    after those spells the name (paa once tagged with the distribution name)."""
    found = []
    for i, version in enumerate(versions):
        label = spelled if spelled and i == py_until else name
        found.append(f"v{version}_{label}" + (".py" if i < py_until else ""))
    return tuple(found)


def _series(minor: str, patches: range) -> list[str]:
    return [f"{minor}.{p}" for p in patches]


RELEASED = (
    Released("attr_kit", _tags("attr_kit", ["0.0.1", "0.0.2", "0.1.0", "0.1.1", "0.2.0"]), "0.2.1"),
    Released("compare_frame", _tags("compare_frame", _series("0.0", range(12))), "0.0.11"),
    Released("grid_runner", _tags("grid_runner", ["0.0.1", "0.0.2", "0.0.3"], py_until=2), "0.0.3"),
    Released(
        "mock_store",
        _tags(
            "mock_store",
            [*_series("0.0", range(1, 13)), *_series("0.1", range(1, 10)), "0.2.0", "0.2.1", "0.3.0"],
            py_until=12,
        ),
        "0.3.0",
    ),
    Released(
        "package_kit",
        _tags(
            "package_kit",
            [*(v for m in range(1, 7) for v in _series(f"0.{m}", range(5))), "1.0.5"],
            py_until=3,
            spelled="package-kit",
        ),
        "1.0.5",
    ),
    Released("param_frame", _tags("param_frame", _series("0.1", range(7)), py_until=3), "0.1.6"),
    Released("prompt_kit", _tags("prompt_kit", ["0.0.1", "0.0.2"]), "0.0.2"),
    Released(
        "shout_log", _tags("shout_log", ["0.0.1", "0.0.2", "0.1.0", "0.2.0", "0.3.0", "0.3.1"]), "0.3.1"
    ),
)
SKIPPED = ("drive_support", "retriever_tuner", "search_extractor")  # no __package_metadata__

# what paa's own rules give as requirements (module + components + cli + routes; mapping file,
# then the import name itself; the most constrained hint wins), canonical names
PAA_REQUIREMENTS = {
    "attr_kit": ["attrs>=22.2.0"],
    "compare_frame": ["attrs>=22.1.0", "mock-store>=0.2.1"],
    "grid_runner": [],
    "mock_store": ["click==8.1.7", "dill>=0.3.7", "fastapi", "grid-runner>=0.0.1", "numpy==1.26.0", "pyyaml"],
    "package_kit": ["mcp", "pyyaml>=6.0"],  # mcp: from mcp/package_kit.py, which shipyard does not ship
    "param_frame": ["pyyaml"],
    "prompt_kit": ["attrs"],
    "shout_log": ["dill>=0.3.7"],
}
PAA_OPTIONAL = {"prompt_kit": ["rich"]}
# stand-ins for the third-party distributions those need: (distribution, version, import name)
STANDINS = (
    ("attrs", "23.1.0", "attrs"),
    ("click", "8.1.7", "click"),
    ("dill", "0.3.8", "dill"),
    ("fastapi", "0.110.0", "fastapi"),
    ("numpy", "1.26.0", "numpy"),
    ("pyyaml", "6.0.1", "yaml"),
)


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _meta(description: str, extra: str = "") -> str:
    return (
        "__package_metadata__ = {\n"
        '    "author": "Kim Example",\n'
        '    "author_email": "kim@example.invalid",\n'
        f'    "description": "{description}",\n'
        f'    "url": "https://example.invalid/docs/",{extra}\n'
        "}\n"
    )


FILES: dict[str, str] = {
    # ---- modules
    "python_modules/attr_kit.py": '"""Attribute helpers."""\n\nimport attrs #>=22.2.0\n\n'
    + _meta("Helpers around attrs classes.")
    + "\n\ndef define_all(cls):\n    return attrs.define(cls)\n",
    "python_modules/grid_runner.py": '"""Run a function over a grid."""\n\nimport itertools\n\n'
    + _meta(
        "Run a function over every point of a grid.",
        '\n    "classifiers": ["Development Status :: 4 - Beta"],',
    )
    + _d(
        """

        class GridRunner:
            def __init__(self, **axes):
                self.axes = axes

            def points(self):
                keys = list(self.axes)
                return [dict(zip(keys, v)) for v in itertools.product(*self.axes.values())]
        """
    ),
    "python_modules/mock_store.py": _d(
        '''
        """
        `mock-store` is a mock vector store built around a python dictionary.
        """

        # Imports
        import logging
        import json

        import yaml
        import dill  #>=0.3.7

        from grid_runner import GridRunner  #>=0.0.1

        # local dependencies
        from .components.mock_store_deps.connector import StoreConnector
        from .components.mock_store_deps.search import SimilaritySearch, top_k

        '''
    )
    + _meta("A mock handler for simulating a vector database.", '\n    "license": "mit",')
    + _d(
        """


        class MockStore:
            def __init__(self):
                self.data = {}
                self.search = SimilaritySearch()

            def insert(self, key, text):
                self.data[key] = text

            def grid(self):
                return GridRunner(k=[1, 2]).points()
        """
    ),
    "python_modules/compare_frame.py": '"""Compare answers."""\n\nimport attrs #>=22.1.0\n'
    + "from mock_store import StoreConnector #>=0.2.1\n\n"
    + _meta("Compare answers against a store.")
    + "\n\ndef connector_name():\n    return StoreConnector.__name__\n",
    "python_modules/param_frame.py": _d(
        '''
        """Parameters from files."""

        from importlib import resources

        import yaml

        '''
    )
    + _meta("Load parameter sets shipped with the package.")
    + _d(
        """


        def defaults_text():
            return (resources.files("param_frame") / "artifacts" / "defaults.yml").read_text()
        """
    ),
    "python_modules/prompt_kit.py": _d(
        '''
        """Prompt strategies."""

        #! import rich
        from .components.prompt_kit.strategies import Strategy, default_strategy

        '''
    )
    + _meta("Prompt strategies for language models.", '\n    "keywords": ["prompts"],')
    + "\n\ndef make():\n    return default_strategy()\n",
    "python_modules/shout_log.py": _d(
        '''
        """Loud logging."""

        from .components.shout_log.formatting import loud
        #@ dill>=0.3.7

        __all__ = ["Shouter", "loud"]

        '''
    )
    + _meta("A logger that shouts.")
    + _d(
        """


        class Shouter:
            def say(self, text):
                return loud(text)


        def helper():
            return "not exported"
        """
    ),
    "python_modules/package_kit.py": _d(
        '''
        """Assemble packages."""

        import yaml #>=6.0

        '''
    )
    + _meta(
        "A tool to automate package creation.",
        '\n    "classifiers": ["Development Status :: 5 - Production/Stable"],',
    )
    + "\n\ndef assemble(name):\n    return f'assembled {name}'\n",
    # without __package_metadata__: paa skips them
    "python_modules/drive_support.py": '"""Drive support."""\n\nimport googleapiclient\n',
    "python_modules/retriever_tuner.py": '"""Tune retrievers."""\n\nfrom mock_store import MockStore #==0.0.1\n',
    "python_modules/search_extractor.py": '"""Search based extraction."""\n\nimport surely_unknown_xyz\n',
    "python_modules/.gitignore": "__pycache__\n",
    # ---- components: bundles without __init__.py
    "python_modules/components/mock_store_deps/connector.py": _d(
        """
        import logging
        import dill  #>=0.3.7


        class StoreConnector:
            base_url = "http://localhost:8000"
        """
    ),
    "python_modules/components/mock_store_deps/search.py": _d(
        """
        import numpy as np  #==1.26.0


        class SimilaritySearch:
            space = "cosine"


        def top_k(scores, k):
            return sorted(scores, reverse=True)[:k]
        """
    ),
    "python_modules/components/prompt_kit/strategies.py": _d(
        """
        import attrs


        class Strategy:
            name = "plain"


        def default_strategy():
            return Strategy()
        """
    ),
    "python_modules/components/prompt_kit/.gitignore": "__pycache__\n",
    "python_modules/components/shout_log/formatting.py": "def loud(text):\n    return text.upper() + '!'\n",
    # ---- cli, routes, mcp
    "cli/mock_store.py": _d(
        """
        import os
        import click #==8.1.7

        __cli_metadata__ = {
            "name" : "mockstore"
        }


        def cli():
            print("mock store")
        """
    ),
    "api_routes/mock_store.py": _d(
        """
        import numpy as np
        import os

        from fastapi import APIRouter

        from mock_store.mock_store import *

        router = APIRouter(prefix = "/mock-store")
        """
    ),
    "mcp/package_kit.py": "from mcp.server.fastmcp import FastMCP\nfrom package_kit import *\n",
    # ---- artifacts, docs, notebooks, drawio, licences
    "artifacts/param_frame/defaults.yml": "alpha: 1\nbeta: 2\n",
    "artifacts/mock_store/settings/store.json": '{"persist": false}\n',
    "extra_docs/mock_store/cli.md": "# CLI\n\n![flow](mock_store-flow.png)\n",
    "extra_docs/mock_store/.gitignore": "",
    "drawio/mock_store.drawio": "<mxfile/>\n",
    ".paa/docs/mock_store-flow.png": "\x89PNG stand-in\n",
    "example_notebooks/mock_store.ipynb": json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "source": ["# Mock store\n", "\n", "A store for tests."]},
                {"cell_type": "code", "source": ["from mock_store import MockStore\n", "MockStore()"]},
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ),
    "example_notebooks/.gitignore": "",
    "licenses/package_kit/LICENSE": "Apache License 2.0 (package_kit's own)\n",
    "licenses/package_kit/NOTICE": "package_kit NOTICE\n",
    # ---- tests, run by paa with PYTHONPATH at the root
    "tests/__init__.py": "",
    "tests/.gitignore": "",
    "tests/mock_store/__init__.py": "",
    "tests/mock_store/test_mock_store.py": _d(
        """
        from python_modules.mock_store import MockStore
        from python_modules.components.mock_store_deps.connector import StoreConnector


        def test_insert():
            store = MockStore()
            store.insert("a", "text")
            assert store.data == {"a": "text"}
            assert StoreConnector.base_url.startswith("http")
        """
    ),
    "tests/shout_log/__init__.py": "",
    "tests/shout_log/test_shouter.py": _d(
        """
        from python_modules.shout_log import Shouter


        def test_shout():
            assert Shouter().say("hi") == "HI!"
        """
    ),
    # ---- repository files
    ".paa.config": PAA_CONFIG,
    ".paa/package_mapping.json": json.dumps(MAPPING, indent=4),
    ".paa/requirements_dev.txt": "package-auto-assembler\n",
    "LICENSE": "MIT License\n\nCopyright (c) Kim Example\n",
    "README.md": "# reusables\n\nPackages made with package-auto-assembler.\n",
    ".gitignore": "build/\ndist/\nsite/\n.shipyard/\n__pycache__/\n",
    "tox.ini": "[testenv]\nsetenv =\n    PYTHONPATH = {toxinidir}\ncommands =\n    pytest {posargs}\n",
}


def _git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _tracking(root: Path, versions: dict[str, str], log: list[str]) -> None:
    _write(
        root,
        ".paa/tracking/lsts_package_versions.yml",
        "".join(f"{k}: {v}\n" for k, v in sorted(versions.items())),
    )
    _write(root, ".paa/tracking/version_logs.csv", "Timestamp,Package,Version\n" + "".join(log))


def write_repo(root: Path) -> Path:
    """The repository at `root`, with its history: every release a `[module]` commit, then paa's
    "Update paa tracking files" commit carrying the tag; finally attr_kit's 0.2.1 is recorded in the
    tracking file but its tag never pushed."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in FILES.items():
        _write(root, rel, text)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "Initial packaging repository")
    versions: dict[str, str] = {}
    log: list[str] = []
    queue = [(r, t) for r in RELEASED for t in r.tags]
    queue.sort(key=lambda item: item[0].tags.index(item[1]))  # releases of the packages interleaved
    for n, (package, tag) in enumerate(queue):
        version = tag[1:].split("_", 1)[0]
        module = root / "python_modules" / f"{package.name}.py"
        module.write_text(module.read_text(encoding="utf-8") + f"# release {version}\n", encoding="utf-8")
        _git(root, "commit", "-qam", f"[{package.name}] change {n}; note {n}")
        versions[package.name] = version
        log.append(f"2024-01-{1 + n % 28:02d} 00:00:00,{package.name},{version}\n")
        _tracking(root, versions, log)
        _write(
            root,
            f".paa/release_notes/{package.name}.md",
            f"# Release notes\n\n### {version}\n\n- change {n}\n",
        )
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "Update paa tracking files")
        _git(root, "tag", "-a", tag, "-m", f"{package.name}=={version}")
    attr = root / "python_modules" / "attr_kit.py"
    attr.write_text(attr.read_text(encoding="utf-8") + "# 0.2.1\n", encoding="utf-8")
    _git(root, "commit", "-qam", "[attr_kit] released without a tag")
    versions["attr_kit"] = "0.2.1"
    _tracking(root, versions, log)
    _git(root, "commit", "-qam", "Update paa tracking files")
    return root


def touch_every_package(root: Path) -> None:
    """A change to every released module, committed paa's way."""
    for package in RELEASED:
        module = root / "python_modules" / f"{package.name}.py"
        module.write_text(module.read_text(encoding="utf-8") + "# next\n", encoding="utf-8")
    _git(root, "commit", "-qam", "[attr_kit] next; [mock_store][.+.] more search")


def standin_wheels(folder: Path) -> list[Path]:
    """Wheels for the third-party distributions the fixture needs: each holds an empty module of the
    import name, which is all an import at module level needs."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_wheel(folder, dist, version, module) for dist, version, module in STANDINS]


def _wheel(folder: Path, dist: str, version: str, module: str) -> Path:
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'"""A stand-in for {dist} in the tests."""\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    records = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        records.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*records, f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path
