"""`shipyard assemble NAME --docs`: an MkDocs site per package, in `<site-dir>/<name>/`.

Pages: the package README (the one assemble picks: docs/NAME/README.md, else the notebook, else the
docstring) as the home page, every other file of docs/NAME/, the reference of the module's public
names (read with the AST), and docs/NAME/CHANGELOG.md (written at release). The `mkdocs.yml` and
`docs/` are generated in a temporary folder and built by MkDocs' own command line with the built-in
`mkdocs` theme, no plugins and nothing loaded from a CDN, so the build needs no network and the pages
none either. One folder per package under one site folder is what GitHub Pages serves as
`/<package>/` (`/<module>/` in a package-auto-assembler repository: the URL its users already have;
the diagrams paa rendered into `.paa/docs/<module>-*.png` are copied beside the pages, so the
images they show are there). The site is never inside the assembled tree, so it never reaches a wheel.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shipyard.assemble import metadata, reference
from shipyard.assemble.layout import Module, Repo
from shipyard.assemble.tree import readme
from shipyard.config import table_at
from shipyard.errors import BuildError, UsageError
from shipyard.tools.procenv import child_env

INSTALL_HINT = "pip install 'shipyard-release[docs]'"
_README_NAMES = ("README.md", "index.md")
_GENERATED = ("index.md", "reference.md", "changelog.md")


@dataclass(frozen=True)
class Site:
    name: str
    path: Path  # <site-dir>/<name>/, holding index.html
    pages: tuple[str, ...]  # the Markdown sources, in navigation order

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "index": str(self.path / "index.html"), "pages": list(self.pages)}


def require_mkdocs() -> None:
    """Fail before anything is written when MkDocs is not installed beside shipyard."""
    if importlib.util.find_spec("mkdocs") is None:
        raise UsageError(f"--docs builds the sites with MkDocs, which is not installed: {INSTALL_HINT}")


def _pages(repo: Repo, module: Module, meta: metadata.Meta, version: str, docs: Path) -> list[str]:
    """Write the Markdown sources into `docs`; return the navigation (paths relative to `docs`)."""
    own = repo.folder("docs") / module.import_name
    extra: list[str] = []
    if own.is_dir():
        for path in sorted(own.rglob("*")):
            rel = path.relative_to(own)
            if not path.is_file() or "__pycache__" in rel.parts:
                continue
            if len(rel.parts) == 1 and (rel.name in _README_NAMES or rel.name.lower() == "changelog.md"):
                continue  # the home page and the changelog are placed below
            if rel.as_posix().lower() in _GENERATED:
                raise UsageError(f"{path}: {rel.name} is a page shipyard writes: rename yours")
            (docs / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, docs / rel)
            if path.suffix == ".md":
                extra.append(rel.as_posix())
    if repo.paa is not None:  # paa's rendered diagrams, which its pages and notebooks show
        for image in sorted((repo.root / repo.paa.other["docs_dir"]).glob(f"{module.import_name}-*.png")):
            shutil.copy2(image, docs / image.name)
    (docs / "index.md").write_text(readme(repo, module, meta), encoding="utf-8")
    (docs / "reference.md").write_text(reference.page(module, version), encoding="utf-8")
    nav = ["index.md", *extra, "reference.md"]
    if (own / "CHANGELOG.md").is_file():
        shutil.copy2(own / "CHANGELOG.md", docs / "changelog.md")
        nav.append("changelog.md")
    return nav


def _config(module: Module, version: str, nav: list[str], description: str) -> str:
    """mkdocs.yml, written as JSON (which YAML reads): nothing here needs YAML's syntax."""
    titles = {"index.md": "Home", "reference.md": "Reference", "changelog.md": "Changelog"}
    return json.dumps(
        {
            "site_name": f"{module.name} {version}",
            "site_description": description,
            "docs_dir": "docs",
            "theme": {"name": "mkdocs", "highlightjs": False},  # highlight.js comes from a CDN
            "plugins": [],  # not even search: nothing but the pages
            "nav": [{titles[p]: p} if p in titles else p for p in nav],
        },
        indent=2,
    )


def build_site(repo: Repo, module: Module, version: str, site_dir: Path) -> Site:
    """Build `module`'s site into `site_dir/<name>/`, replacing the old one only when the build worked."""
    require_mkdocs()
    meta = metadata.read(module.path, table_at(repo.table, "packages").get(module.import_name))
    out = site_dir / (module.import_name if repo.paa is not None else module.name)
    site_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{module.import_name}-", dir=site_dir) as tmp:
        work = Path(tmp)
        (work / "docs").mkdir()
        nav = _pages(repo, module, meta, version, work / "docs")
        (work / "mkdocs.yml").write_text(_config(module, version, nav, meta.description), encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(work / "site")],
            cwd=work,
            env=child_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise BuildError(
                f"mkdocs could not build {module.name}'s site (run with -v for its output)",
                detail=run.stdout + run.stderr,
            )
        if out.exists():
            shutil.rmtree(out)
        (work / "site").rename(out)
    return Site(out.name, out, tuple(nav))
