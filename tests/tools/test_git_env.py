"""Every child process gets the environment without credentials, git included: its hooks
(reference-transaction, pre-push; the release commit is made by plumbing, which runs no commit
hook) and helpers (core.fsmonitor) run user code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.projects import ShipyardCLI, git, make_project

pytestmark = pytest.mark.integration

TOKEN = "pypi-AgEIcHlwaS5vcmcCJGdpdC1ob29rLXRva2VuLWZvci1zaGlweWFyZA"  # shipyard: fake-token
TWINE = "twine-password-for-the-hook-test"


def _spy(path: Path, log: Path) -> Path:
    path.write_text(f'#!/bin/sh\necho "== $0" >> "{log}"\nenv >> "{log}"\nexit 0\n')
    path.chmod(0o755)
    return path


def test_git_hooks_and_fsmonitor_never_receive_credentials(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", tool='[tool.shipyard]\nstages = ["local"]\n')
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    git(root, "branch", "-q", "--set-upstream-to=origin/main")
    log = tmp_path / "children.log"
    for hook in ("post-commit", "reference-transaction", "pre-push"):
        _spy(root / ".git" / "hooks" / hook, log)
    fsmonitor = _spy(tmp_path / "fsmonitor.sh", log)
    fsmonitor.write_text(fsmonitor.read_text().replace("exit 0", "exit 1"))  # 1: git scans by itself
    git(root, "config", "core.fsmonitor", str(fsmonitor))
    (root / "README.md").write_text("# tiny-pkg\n\nA warmer README.\n")
    git(root, "commit", "-qam", "feat: a warmer README")
    log.unlink()  # only what shipyard's git children saw counts

    env = {"SHIPYARD_STAGING_TOKEN": TOKEN, "TWINE_PASSWORD": TWINE, "SHIPYARD_LOCAL_PASSWORD": TWINE}
    run = shipyard("release", "--bump", "--push", "--no-test-install", "-C", str(root), env=env)

    assert run.code == 0, run.text
    seen = log.read_text()
    ran = {line.split("/")[-1] for line in seen.splitlines() if line.startswith("== ")}
    assert {"reference-transaction", "pre-push", "fsmonitor.sh"} <= ran, ran
    assert "post-commit" not in ran  # git commit-tree: no commit hook rewrites what shipped
    for value in (TOKEN, TWINE, "SHIPYARD_STAGING_TOKEN", "TWINE_PASSWORD", "SHIPYARD_LOCAL_PASSWORD"):
        assert value not in seen, f"a git child saw {value}"
    assert git(origin, "tag", "--list") == "v1.0.0\n"  # the first release: the declared version
