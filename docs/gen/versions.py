"""The docs site of every release, each in a folder of its version, for GitHub Pages.

`python docs/gen/versions.py OUT [REPO]` builds, for each tag `v<version>` of a final release whose tree has
a mkdocs.yml, that tree's site (`mkdocs build --strict`, in a temporary git worktree of the tag) into
OUT/<version>/; copies the newest into OUT/latest/; writes OUT/versions.json (the list mike writes,
which Material's version selector reads) and OUT/index.html (a redirect to latest/). Every release is
rebuilt from its own tag on each run, so the published folders are what the tags hold, and nothing
depends on what an earlier deployment left. .github/workflows/docs.yml runs it on each release tag.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
REDIRECT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shipyard</title>
<meta http-equiv="refresh" content="0; url=latest/"><link rel="canonical" href="latest/"></head>
<body><a href="latest/">The documentation of the latest release</a></body></html>
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def releases(repo: Path) -> list[tuple[Version, str]]:
    """(version, tag) of every final release tag with a site, newest first."""
    found = []
    for tag in _git(repo, "tag", "--list", "v[0-9]*").split():
        try:
            version = Version(tag[1:])
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease or version.local:
            continue
        has_site = ["git", "-C", str(repo), "cat-file", "-e", f"{tag}:mkdocs.yml"]
        if subprocess.run(has_site, capture_output=True).returncode == 0:
            found.append((version, tag))
    return sorted(found, reverse=True)


def build(repo: Path, tag: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        _git(repo, "worktree", "add", "--detach", "--quiet", str(tree), tag)
        try:
            env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
            mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)]
            subprocess.run(mkdocs, cwd=tree, check=True, env=env)
        finally:
            _git(repo, "worktree", "remove", "--force", str(tree))


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python docs/gen/versions.py OUT [REPO]", file=sys.stderr)
        return 2
    out = Path(argv[0]).resolve()
    repo = Path(argv[1]).resolve() if len(argv) == 2 else ROOT
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    found = releases(repo)
    if not found:
        print("error: no release tag (v<version>) has a mkdocs.yml: nothing to publish", file=sys.stderr)
        return 1
    for version, tag in found:
        print(f"==> {tag}: docs/{version}/")
        build(repo, tag, out / str(version))
    newest = str(found[0][0])
    shutil.copytree(out / newest, out / "latest")
    listed = [
        {"version": str(v), "title": str(v), "aliases": ["latest"] if str(v) == newest else []}
        for v, _ in found
    ]
    (out / "versions.json").write_text(json.dumps(listed, indent=2) + "\n")
    (out / "index.html").write_text(REDIRECT)
    (out / ".nojekyll").write_text("")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
