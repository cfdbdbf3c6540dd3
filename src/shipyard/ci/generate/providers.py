"""`shipyard ci init`: render the pipeline (or task runner) for the project, then write it.

Rendering is pure (the same project gives the same bytes); writing never replaces a file unless
asked to, and refuses before writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from shipyard.ci.generate import azure, context, github, gitlab, taskrunner, travis
from shipyard.errors import UsageError

# provider -> its module, which has PATH (where the file goes) and render(ctx)
TABLE: dict[str, ModuleType] = {"github": github, "gitlab": gitlab, "azure": azure, "travis": travis}
PROVIDERS = tuple(TABLE)


@dataclass(frozen=True)
class Generated:
    path: str  # relative to the project
    text: str
    executable: bool = False


def pipelines(root: Path, providers: list[str], trigger: list[str] | None) -> list[Generated]:
    ctx = context.read(root, trigger)
    modules = [TABLE[p] for p in providers]
    return [Generated(m.PATH, m.render(ctx)) for m in modules]


def task_runner(root: Path, makefile: bool) -> list[Generated]:
    ctx = context.read(root, None, for_ci=False)
    made = [Generated(taskrunner.RUN_SH, taskrunner.run_sh(ctx), executable=True)]
    if makefile:
        made.append(Generated(taskrunner.MAKEFILE, taskrunner.makefile()))
    return made


def write(root: Path, files: list[Generated], *, force: bool) -> list[str]:
    """Write every file, or none: an existing file is only replaced with `force`."""
    root = root.resolve()
    existing = [f.path for f in files if (root / f.path).exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} exists: shipyard ci init replaces it only with --force")
    for f in files:
        path = root / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
        if f.executable:
            path.chmod(0o755)
    return [f.path for f in files]
