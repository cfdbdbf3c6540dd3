"""Module -> package tree: what `shipyard assemble NAME` writes into `build/NAME/`.

The tree holds a PEP 621 `pyproject.toml` (flit_core, which shipyard also runs in-process), the
package (`__init__.py` re-exporting the module as paa does, `from .NAME import *`, which respects
its `__all__`, and `__version__`; the module, vendored components, the CLI, routes, app and data),
README, LICENSE (and NOTICE), and the package's tests beside it (not in the wheel). Nothing else: no
repository, no tracking files, no setup.py. It is made in a temporary folder and moved into place
whole, so a failure writes nothing.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.utils import canonicalize_name

from shipyard.assemble import confine, launchers, metadata, paa
from shipyard.assemble.layout import Module, Repo
from shipyard.assemble.needs import Needs, collect
from shipyard.assemble.rewrite import COMPONENTS, rewrite
from shipyard.config import table_at
from shipyard.errors import ConfigError

BACKEND = {"requires": ["flit_core>=3.11,<5"], "build-backend": "flit_core.buildapi"}


@dataclass
class Assembled:
    name: str
    import_name: str
    version: str
    tree: Path
    requirements: list[str] = field(default_factory=list)
    extras: dict[str, list[str]] = field(default_factory=dict)
    components: list[str] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)
    siblings: list[str] = field(default_factory=list)  # packages of this repo it depends on

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "tree": str(self.tree),
            "requirements": self.requirements,
            "extras": self.extras,
            "components": self.components,
            "scripts": self.scripts,
            "depends_on": self.siblings,
        }


def _entry(path: Path, names: tuple[str, ...], what: str) -> str:
    tree = metadata.parse(path)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found = next((n for n in names if n in defined), None)
    if found is None:
        raise metadata.MetadataError(f"{path}:1: defines no {' or '.join(names)}: the {what} needs one")
    return found


def _notebook_markdown(path: Path) -> str:
    """A notebook as Markdown: markdown cells as they are, code cells fenced."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is not a readable notebook: {exc}") from None
    parts = []
    for cell in cells:
        text = "".join(cell.get("source", []))
        if cell.get("cell_type") == "markdown":
            parts.append(text)
        elif cell.get("cell_type") == "code" and text.strip():
            parts.append(f"```python\n{text}\n```")
    return "\n\n".join(parts) + "\n"


def readme(repo: Repo, module: Module, meta: metadata.Meta) -> str:
    """The package README: docs/NAME/README.md (or index.md), else the notebook, else the docstring."""
    docs = repo.folder("docs") / module.import_name
    for name in ("README.md", "index.md"):
        if (docs / name).is_file():
            return confine.source(repo.root, docs / name).read_text(encoding="utf-8")
    notebook = repo.folder("notebooks") / f"{module.import_name}.ipynb"
    if notebook.is_file():
        return _notebook_markdown(confine.source(repo.root, notebook))
    return f"# {module.name}\n\n{meta.docstring or meta.description}\n"


def _init(module: Module, meta: metadata.Meta, version: str) -> str:
    """The package's `__init__.py`: everything `from module import *` gives (paa's way: names the
    module imports, such as its components' classes, stay importable from the package), and
    `__version__`."""
    lines = [repr(meta.description), "", f"from .{module.import_name} import *  # noqa: F403", ""]
    return "\n".join([*lines, f'__version__ = "{version}"', ""])


def _license(text: str) -> str | dict[str, str]:
    """An SPDX expression as PEP 639 has it (`mit` -> `MIT`), else the text as a legacy table."""
    try:
        return canonicalize_license_expression(text)
    except InvalidLicenseExpression:
        return {"text": text}


def _people_and_labels(repo: Repo, meta: metadata.Meta) -> dict[str, object]:
    """authors, license, keywords, classifiers and urls: the module's, then .paa.config's."""
    config = repo.paa
    found: dict[str, object] = {}
    if meta.author or meta.author_email:
        person = {"name": meta.author} if meta.author else {}
        found["authors"] = [{**person, **({"email": meta.author_email} if meta.author_email else {})}]
    classifiers = paa.classifiers(config.classifiers if config else (), meta.classifiers)
    if license_text := meta.license or (config.license_label if config else ""):
        found["license"] = _license(license_text)
        if isinstance(found["license"], str):  # PEP 639: an expression replaces License :: classifiers
            classifiers = tuple(c for c in classifiers if not c.startswith("License ::"))
    if meta.keywords:
        found["keywords"] = list(meta.keywords)
    if classifiers:
        found["classifiers"] = list(classifiers)
    urls = {"Homepage": meta.url} if meta.url else {}
    if config and config.docs_url:
        urls["Documentation"] = config.docs_url
    if urls:
        found["urls"] = urls
    return found


def _pyproject(
    repo: Repo, module: Module, meta: metadata.Meta, version: str, needs: Needs, scripts: dict[str, str]
) -> str:
    import tomlkit

    project: dict[str, object] = {
        "name": module.name,
        "version": version,
        "description": meta.description,
        "readme": "README.md",
        "requires-python": meta.requires_python,
        "dependencies": sorted(str(r) for r in needs.required.values()),
    }
    project.update(_people_and_labels(repo, meta))
    extras = {name: [str(r)] for name, r in sorted(needs.optional.items())}
    if "_api:main" in " ".join(scripts.values()):
        extras["api"] = ["uvicorn"]  # the NAME-api server; the routes themselves need only fastapi
    extras.update({k: list(v) for k, v in meta.extras.items()})
    if extras:
        project["optional-dependencies"] = extras
    if scripts:
        project["scripts"] = scripts
    doc = {
        "build-system": BACKEND,
        "project": project,
        "tool": {"flit": {"module": {"name": module.import_name}}},
    }
    return tomlkit.dumps(doc)


@dataclass
class _Writer:
    """Writes the package tree; every file it reads is resolved inside the repository `root`."""

    root: Path
    tree: Path
    package: str
    components: dict[str, Path]
    modules: str = ""  # the modules folder's dotted name, whose imports are rewritten too
    bare: frozenset[str] = frozenset()  # components imported by their bare name (not a module's name)

    def text(self, rel: str | Path, text: str) -> None:
        target = self.tree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def code(self, source: Path, rel: str | Path) -> None:
        text = confine.source(self.root, source).read_text(encoding="utf-8")
        self.text(rel, rewrite(text, self.package, self.bare, self.modules))

    def copy(self, source: Path, rel: str | Path) -> None:
        """A file copied as it is (its content: a link inside the repository is followed)."""
        (self.tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(confine.source(self.root, source), self.tree / rel)

    def tree_of(self, source: Path, rel: str | Path, *, code: bool = True) -> None:
        """A folder copied, Python files with their component imports rewritten (`code`)."""
        for path, real in confine.tree(self.root, source):
            if code and path.suffix == ".py":
                self.code(real, Path(rel) / path)
            else:
                self.copy(real, Path(rel) / path)


def _write_package(w: _Writer, module: Module, meta: metadata.Meta, version: str, needs: Needs) -> None:
    imp = module.import_name
    if module.is_folder:
        w.tree_of(module.path, imp)
        init = w.tree / imp / "__init__.py"
        if "__version__" not in init.read_text(encoding="utf-8"):
            w.text(
                init.relative_to(w.tree),
                init.read_text(encoding="utf-8").rstrip() + f'\n\n__version__ = "{version}"\n',
            )
    else:
        w.code(module.path, f"{imp}/{imp}.py")
        w.text(f"{imp}/__init__.py", _init(module, meta, version))
    if needs.components:
        w.text(f"{imp}/{COMPONENTS}/__init__.py", "")
        for comp in sorted(needs.components):
            source = w.components[comp]
            if source.is_dir():
                w.tree_of(source, f"{imp}/{COMPONENTS}/{comp}")
            else:
                w.code(source, f"{imp}/{COMPONENTS}/{source.name}")


def _write_extras(w: _Writer, repo: Repo, module: Module, meta: metadata.Meta) -> None:
    imp, layout = module.import_name, repo.layout
    for folder, target in ((layout.cli, "cli.py"), (layout.api, "routes.py"), (layout.apps, "app.py")):
        source = repo.root / folder / f"{imp}.py"
        if source.is_file():
            w.code(source, f"{imp}/{target}")
    if (w.tree / imp / "app.py").is_file():
        w.text(f"{imp}/_app.py", launchers.APP_LAUNCHER.replace("NAME", module.name))
    if (w.tree / imp / "routes.py").is_file():
        w.text(f"{imp}/_api.py", launchers.API_SERVER.replace("NAME", module.name))
    if (data := repo.folder("data") / imp).is_dir():
        w.tree_of(data, f"{imp}/{repo.layout.package_data}", code=False)
    if (tests := repo.folder("tests") / imp).is_dir():
        w.tree_of(tests, "tests")  # imports of the modules folder point at the installed package
    w.text("README.md", readme(repo, module, meta))
    for name, source in _legal_files(repo, module).items():
        w.copy(source, name)


def _legal_files(repo: Repo, module: Module) -> dict[str, Path]:
    """LICENSE (and NOTICE): paa's licenses/NAME/ first, then its license_path and notice_path,
    then the repository's own."""
    found: dict[str, Path] = {}
    if (config := repo.paa) is not None:
        own = repo.root / config.other["licenses_dir"] / module.import_name
        for name, given in (("LICENSE", config.license_path), ("NOTICE", config.notice_path)):
            for path in (own / name, repo.root / given if given else None):
                if path is not None and path.is_file():
                    found[name] = path
                    break
    if "LICENSE" not in found:
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
            if (repo.root / name).is_file():
                found[name] = repo.root / name
                break
    return found


def check_sources(repo: Repo, module: Module) -> None:
    """Every file `module`'s package would be made of (its own, the components, the licences) is
    inside the repository: a ConfigError naming the first that is not."""
    paths = [*repo.files_of(module), *_legal_files(repo, module).values()]
    if repo.folder("components").is_dir():
        paths.append(repo.folder("components"))
    confine.check(repo.root, paths)


def _scripts(repo: Repo, module: Module, meta: metadata.Meta) -> dict[str, str]:
    imp, layout = module.import_name, repo.layout
    scripts = {}
    cli = repo.root / layout.cli / f"{imp}.py"
    if cli.is_file():
        scripts[meta.cli_name or module.name] = f"{imp}.cli:{_entry(cli, ('cli', 'main'), 'console script')}"
    api = repo.root / layout.api / f"{imp}.py"
    if api.is_file():
        _entry(api, ("router",), "FastAPI route module")
        scripts[f"{module.name}-api"] = f"{imp}._api:main"
    if (repo.root / layout.apps / f"{imp}.py").is_file():
        scripts[f"{module.name}-app"] = f"{imp}._app:main"
    return scripts


def _pin_siblings(needs: Needs, versions: Mapping[str, str]) -> None:
    """A package of the same repository is required at least at the version released with it."""
    known: dict[str, str] = {canonicalize_name(k): v for k, v in versions.items()}
    for key, req in list(needs.required.items()):
        if key in known and not req.specifier:
            needs.required[key] = replace(req, specifier=f">={known[key]}")


def assemble(
    repo: Repo, module: Module, version: str, out: Path, sibling_versions: Mapping[str, str] | None = None
) -> Assembled:
    """Write the package tree of `module` at `version` into `out` (replacing what was there).

    `sibling_versions`: the versions of the repository's other packages, which this one then
    requires at least."""
    imp = module.import_name
    check_sources(repo, module)  # before any of them is read
    cli = repo.root / repo.layout.cli / f"{imp}.py"
    meta = metadata.read(module.path, table_at(repo.table, "packages").get(imp), cli=cli)
    needs = collect(repo, module)
    _pin_siblings(needs, sibling_versions or {})
    scripts = _scripts(repo, module, meta)
    siblings = {canonicalize_name(m.name) for m in repo.modules()}
    result = Assembled(
        module.name,
        imp,
        version,
        out,
        requirements=sorted(str(r) for r in needs.required.values()),
        extras={n: [str(r)] for n, r in sorted(needs.optional.items())},
        components=sorted(needs.components),
        scripts=scripts,
        siblings=sorted(r.name for r in needs.required.values() if canonicalize_name(r.name) in siblings),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{imp}-", dir=out.parent) as tmp:
        modules = repo.layout.modules if repo.layout.modules.isidentifier() else ""
        bare = frozenset(repo.components()) - {m.import_name for m in repo.modules()}
        writer = _Writer(repo.root, Path(tmp) / "tree", imp, repo.components(), modules, bare)
        _write_package(writer, module, meta, version, needs)
        _write_extras(writer, repo, module, meta)
        writer.text("pyproject.toml", _pyproject(repo, module, meta, version, needs, scripts))
        if out.exists():
            shutil.rmtree(out)
        writer.tree.rename(out)
    return result
