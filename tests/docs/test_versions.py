"""docs/gen/versions.py: each final release tag's site in its own folder, latest/ the newest, and the
versions.json the version selector reads; built from the tags, in a real git repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "gen" / "versions.py"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]


def _release(repo: Path, tag: str, page: str | None) -> None:
    if page is not None:
        (repo / "mkdocs.yml").write_text("site_name: demo\ntheme: mkdocs\nnav:\n  - index.md\n")
        (repo / "docs").mkdir(exist_ok=True)
        (repo / "docs" / "index.md").write_text(f"# {page}\n")
    (repo / "notes.txt").write_text(tag)
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", tag], check=True)
    subprocess.run([*GIT, "-C", str(repo), "tag", tag], check=True)


def test_every_release_gets_its_folder_and_latest_is_the_newest(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run([*GIT, "init", "-q", str(repo)], check=True)
    _release(repo, "v0.9.0", None)  # before the docs site: nothing to build
    _release(repo, "v1.0.0", "The first site")
    _release(repo, "v1.1.0", "The second site")
    _release(repo, "v1.2.0rc1", "A pre-release")  # not a release the selector offers
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, str(SCRIPT), str(out), str(repo)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["1.0.0", "1.1.0", "latest"]
    assert "The first site" in (out / "1.0.0" / "index.html").read_text()
    assert "The second site" in (out / "latest" / "index.html").read_text()
    assert json.loads((out / "versions.json").read_text()) == [
        {"version": "1.1.0", "title": "1.1.0", "aliases": ["latest"]},
        {"version": "1.0.0", "title": "1.0.0", "aliases": []},
    ]
    assert 'url=latest/"' in (out / "index.html").read_text()
    # the worktrees it built in are gone
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True)
    assert len(listed.stdout.splitlines()) == 1


def test_no_release_with_a_site_is_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run([*GIT, "init", "-q", str(repo)], check=True)
    _release(repo, "v0.1.0", None)
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "out"), str(repo)], capture_output=True, text=True
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: no release tag")
