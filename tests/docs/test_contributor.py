"""Contributor basics: the pre-commit hooks run what ./run.sh lint runs, and shipyard ships py.typed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _lint_task() -> list[str]:
    """The commands of run.sh's lint task, as run from the root with the venv's tools."""
    body = re.search(r"^lint\(\) \{\n(.*?)^\}", (ROOT / "run.sh").read_text(), re.MULTILINE | re.DOTALL)
    assert body, "run.sh has no lint task"
    lines = [line.strip() for line in body.group(1).splitlines()]
    return [
        line.replace('"$VENV/bin/', ".venv/bin/").replace('"', "") for line in lines if "$VENV/bin/" in line
    ]


def test_the_pre_commit_hooks_run_what_run_sh_lint_runs() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])  # nothing fetched
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)
    assert [hook["entry"] for hook in hooks] == _lint_task()
    assert _lint_task() == [".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"]


def test_the_package_ships_py_typed() -> None:
    assert (ROOT / "src" / "shipyard" / "py.typed").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # the wheel is the whole package folder: py.typed goes with it
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/shipyard"]


def test_the_public_modules_say_what_they_export() -> None:
    import shipyard.config
    import shipyard.dists
    import shipyard.errors
    import shipyard.events
    import shipyard.options

    for module in (shipyard.config, shipyard.dists, shipyard.errors, shipyard.events, shipyard.options):
        exported = module.__all__
        assert all(hasattr(module, name) for name in exported), module.__name__
        public = {
            n
            for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
        }
        assert public <= set(exported), (module.__name__, public - set(exported))


def test_the_changelog_is_one_shipyards_own_release_writes_into() -> None:
    from shipyard.plan import changelog

    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith(changelog._NEW.split("## [Unreleased]")[0])  # the header shipyard writes
    released = changelog.update(text, "0.2.0", "2026-12-08", {"Fixed": ["a fix from a commit"]})
    head, _, rest = released.partition("## [0.2.0] - 2026-12-08\n")
    assert "## [Unreleased]" in head and rest  # what was under Unreleased moved into the release
    assert "### Added" in rest and "A documentation site" in rest and "- a fix from a commit" in rest
