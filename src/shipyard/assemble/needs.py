"""What one package needs: the requirements of its module, its cli/api/app files and every
component they reach (followed transitively), with the repository's mapping and conventions.

A distribution required by several files keeps every version hint any of them gives (`import numpy
#==1.26.0` in the module and a plain `import numpy` in the routes give `numpy==1.26.0`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

from shipyard.assemble.imports import Imports, Requirement, Rules, scan
from shipyard.assemble.layout import Module, Repo
from shipyard.assemble.local import Scope

Scanner = Callable[[Path], Imports]


def python_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def extra_files(repo: Repo, module: Module) -> list[Path]:
    """The module's cli, api and app files that exist."""
    layout = repo.layout
    paths = [repo.root / f / f"{module.import_name}.py" for f in (layout.cli, layout.api, layout.apps)]
    return [p for p in paths if p.is_file()]


def scanner(repo: Repo, module: Module, *, lenient: bool = False, extra: bool = False) -> Scanner:
    """scan() with the repository's components, sibling packages, mapping file and conventions;
    `extra`: for the cli/api/app files, whose relative imports start beside the module."""
    components = repo.components()
    siblings = [m.import_name for m in repo.modules()]
    # a folder module may import itself absolutely: known, and no requirement
    names = {**repo.requirement_map(), module.import_name: module.name}
    modules_dir = repo.layout.modules
    scope = Scope(
        components,
        repo.folder("components"),
        module.path,
        anchor=repo.folder("modules") if extra else None,
        modules_package=modules_dir if modules_dir.isidentifier() else "",
    )
    rules = Rules(lenient=lenient, same_name=repo.paa is not None)
    return lambda path: scan(
        path, components=list(components), local_names=siblings, mapping=names, scope=scope, rules=rules
    )


@dataclass
class Needs:
    required: dict[str, Requirement] = field(default_factory=dict)
    optional: dict[str, Requirement] = field(default_factory=dict)
    components: set[str] = field(default_factory=set)


def _add(into: dict[str, Requirement], req: Requirement) -> None:
    key = canonicalize_name(req.name)
    had = into.get(key)
    if had is None:
        into[key] = req
        return
    specs = dict.fromkeys(s for r in (had, req) for s in r.specifier.split(",") if s)
    extras = tuple(sorted({*had.extras, *req.extras}))
    into[key] = dataclasses.replace(had, specifier=",".join(specs), extras=extras)


def collect(repo: Repo, module: Module) -> Needs:
    """Requirements of the module's files and of every component they reach."""
    components = repo.components()
    own = canonicalize_name(module.name)
    in_module, beside = scanner(repo, module), scanner(repo, module, extra=True)
    needs = Needs()
    todo = [(p, in_module) for p in python_files(module.path)] + [
        (p, beside) for p in extra_files(repo, module)
    ]
    while todo:
        path, scan_one = todo.pop()
        found = scan_one(path)
        for req in found.required:
            if canonicalize_name(req.name) != own:
                _add(needs.required, req)
        for req in found.optional:
            if canonicalize_name(req.name) != own:
                _add(needs.optional, req)
        for name in found.local:
            if name not in needs.components:
                needs.components.add(name)
                todo += [(p, in_module) for p in python_files(components[name])]
    for name in list(needs.required):
        if name in needs.optional:  # required beats optional; the optional one's hints still count
            _add(needs.required, needs.optional.pop(name))
    return needs
