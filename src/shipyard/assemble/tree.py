"""Module -> package tree: what `shipyard assemble NAME` writes into `build/NAME/`.

The tree holds a PEP 621 `pyproject.toml` (flit_core, which shipyard also runs in-process), the
package (`__init__.py` exposing the module's public names and `__version__`, the module, vendored
components, the CLI, routes, app and data), README, LICENSE, and the package's tests beside it (not in
the wheel). Nothing else: no repository, no tracking files, no setup.py. It is made in a temporary
folder and moved into place whole, so a failure writes nothing.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from shipyard.assemble import metadata
from shipyard.assemble.imports import Requirement, scan
from shipyard.assemble.layout import Module, Repo
from shipyard.assemble.rewrite import COMPONENTS, rewrite
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


def _python_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


@dataclass
class _Needs:
    required: dict[str, Requirement] = field(default_factory=dict)
    optional: dict[str, Requirement] = field(default_factory=dict)
    components: set[str] = field(default_factory=set)


def _collect(repo: Repo, files: list[Path], module: Module) -> _Needs:
    """Requirements of `files` and of every component they reach, components followed transitively."""
    components = repo.components()
    siblings = [m.import_name for m in repo.modules() if m.import_name != module.import_name]
    # a folder module may import itself absolutely: known, and no requirement
    names = {**repo.requirement_map(), module.import_name: module.name}
    own = canonicalize_name(module.name)
    needs, todo = _Needs(), list(files)
    while todo:
        path = todo.pop()
        found = scan(path, components=list(components), local_names=siblings, mapping=names)
        for req in found.required:
            if canonicalize_name(req.name) != own:
                needs.required.setdefault(canonicalize_name(req.name), req)
        for req in found.optional:
            if canonicalize_name(req.name) != own:
                needs.optional.setdefault(canonicalize_name(req.name), req)
        for name in found.local:
            if name not in components:
                raise ConfigError(
                    f"{path}: imports component '{name}', which is not in {repo.layout.components}/"
                )
            if name not in needs.components:
                needs.components.add(name)
                todo += _python_files(components[name])
    for name in needs.required:
        needs.optional.pop(name, None)
    return needs


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
            return (docs / name).read_text(encoding="utf-8")
    notebook = repo.folder("notebooks") / f"{module.import_name}.ipynb"
    if notebook.is_file():
        return _notebook_markdown(notebook)
    return f"# {module.name}\n\n{meta.docstring or meta.description}\n"


def _init(module: Module, meta: metadata.Meta, version: str) -> str:
    """The package's `__init__.py`: the module's public names, and `__version__`."""
    lines = [repr(meta.description), ""]
    if meta.public:
        lines.append(f"from .{module.import_name} import {', '.join(meta.public)}")
    lines += ["", f"__all__ = {list(meta.public)!r}", f'__version__ = "{version}"', ""]
    return "\n".join(lines)


def _pyproject(
    module: Module, meta: metadata.Meta, version: str, needs: _Needs, scripts: dict[str, str]
) -> str:
    import tomlkit

    project: dict[str, Any] = {
        "name": module.name,
        "version": version,
        "description": meta.description,
        "readme": "README.md",
        "requires-python": meta.requires_python,
        "dependencies": sorted(str(r) for r in needs.required.values()),
    }
    if meta.author or meta.author_email:
        person = {"name": meta.author} if meta.author else {}
        project["authors"] = [{**person, **({"email": meta.author_email} if meta.author_email else {})}]
    if meta.license:
        project["license"] = meta.license
    if meta.keywords:
        project["keywords"] = list(meta.keywords)
    if meta.classifiers:
        project["classifiers"] = list(meta.classifiers)
    extras = {name: [str(r)] for name, r in sorted(needs.optional.items())}
    if "_api:main" in " ".join(scripts.values()):
        extras["api"] = ["uvicorn"]  # the NAME-api server; the routes themselves need only fastapi
    extras.update({k: list(v) for k, v in meta.extras.items()})
    if extras:
        project["optional-dependencies"] = extras
    if meta.url:
        project["urls"] = {"Homepage": meta.url}
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
    tree: Path
    package: str
    components: dict[str, Path]

    def text(self, rel: str | Path, text: str) -> None:
        target = self.tree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def code(self, source: Path, rel: str | Path) -> None:
        self.text(rel, rewrite(source.read_text(encoding="utf-8"), self.package, self.components))

    def tree_of(self, source: Path, rel: str | Path) -> None:
        """A folder copied, Python files with their component imports rewritten."""
        for path in sorted(source.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            target = Path(rel) / path.relative_to(source)
            if path.suffix == ".py":
                self.code(path, target)
            else:
                (self.tree / target).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, self.tree / target)


def _write_package(w: _Writer, module: Module, meta: metadata.Meta, version: str, needs: _Needs) -> None:
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
        w.text(f"{imp}/_app.py", _APP_LAUNCHER.replace("NAME", module.name))
    if (w.tree / imp / "routes.py").is_file():
        w.text(f"{imp}/_api.py", _API_SERVER.replace("NAME", module.name))
    if (data := repo.folder("data") / imp).is_dir():
        shutil.copytree(data, w.tree / imp / "data", ignore=shutil.ignore_patterns("__pycache__"))
    if (tests := repo.folder("tests") / imp).is_dir():
        shutil.copytree(tests, w.tree / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    w.text("README.md", readme(repo, module, meta))
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        if (repo.root / name).is_file():
            shutil.copy2(repo.root / name, w.tree / name)
            break


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


def _pin_siblings(needs: _Needs, versions: Mapping[str, str]) -> None:
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
    imp, layout = module.import_name, repo.layout
    cli = repo.root / layout.cli / f"{imp}.py"
    meta = metadata.read(module.path, repo.table.get("packages", {}).get(imp), cli=cli)
    extra_files = [repo.root / f / f"{imp}.py" for f in (layout.cli, layout.api, layout.apps)]
    needs = _collect(repo, [*_python_files(module.path), *(p for p in extra_files if p.is_file())], module)
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
        writer = _Writer(Path(tmp) / "tree", imp, repo.components())
        _write_package(writer, module, meta, version, needs)
        _write_extras(writer, repo, module, meta)
        writer.text("pyproject.toml", _pyproject(module, meta, version, needs, scripts))
        if out.exists():
            shutil.rmtree(out)
        writer.tree.rename(out)
    return result


_API_SERVER = '''"""Serve the package's FastAPI routes: `NAME-api [--host H] [--port P]`, with NAME[api]."""

from __future__ import annotations

import argparse
from typing import Any


def app() -> Any:
    """A FastAPI application with the package's router mounted."""
    from fastapi import FastAPI

    from .routes import router

    application = FastAPI(title="NAME")
    application.include_router(router)
    return application


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="NAME-api", description="Serve NAME's routes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        import uvicorn
    except ImportError:
        raise SystemExit("NAME-api needs uvicorn: pip install 'NAME[api]'") from None
    uvicorn.run(app(), host=args.host, port=args.port)
'''

_APP_LAUNCHER = '''"""Launch the package's Streamlit app: `NAME-app [streamlit options] [-- app arguments]`.

Always headless (no browser opened, no e-mail prompt) and without usage statistics, and bound to
127.0.0.1 unless --server.address says otherwise: the app is reachable from this machine only, and
Streamlit does not look up the machine's external address nor report anything anywhere.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

QUIET = ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
LOCAL = ["--server.address", "127.0.0.1"]


def command(argv: list[str]) -> list[str]:
    """The `streamlit run` command line for the installed app.py and the user's arguments."""
    given = {a.split("=", 1)[0] for a in argv}
    address = [] if "--server.address" in given else LOCAL
    app = Path(__file__).with_name("app.py")
    return [sys.executable, "-m", "streamlit", "run", *QUIET, *address, str(app), *argv]


def main() -> None:
    if importlib.util.find_spec("streamlit") is None:
        raise SystemExit("NAME-app needs streamlit: pip install streamlit")
    args = command(sys.argv[1:])
    if os.name == "posix":
        os.execv(args[0], args)  # streamlit takes this process: signals and Ctrl-C reach it directly
    raise SystemExit(subprocess.call(args))
'''
