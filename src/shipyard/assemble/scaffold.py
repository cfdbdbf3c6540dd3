"""`shipyard init --packaging-repo` and `shipyard new NAME`: a layout and a module to start from.

Existing files are never overwritten: init adds what is missing and says what it made.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from shipyard.assemble.layout import CONFIG, TABLE_END, TABLE_START, Layout, Repo
from shipyard.errors import UsageError

_CONFIG_TEXT = """\
# A packaging repository: every module in modules/ is released as its own package.
# Release options are those of [tool.shipyard] in a pyproject.toml (stages, repositories, ...).
stages = ["local"]
tag = "{package}-v{version}"

# [layout]            # folder names, if yours differ
# modules = "modules"
# components = "modules/components"

# [packages.my_module]  # metadata for one package (else: its docstring and __package_metadata__)
# author = "..."
"""

_README = f"""\
# Packages

Each module in `modules/` is released as its own package: `shipyard plan` says which changed,
`shipyard release` releases them.

{TABLE_START}
{TABLE_END}
"""

_GITIGNORE = "build/\ndist/\nsite/\n.shipyard/\n.env\n__pycache__/\n"


def _write_new(path: Path, text: str, made: list[str], root: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    made.append(str(path.relative_to(root)))


def init(root: Path, layout: Layout | None = None) -> list[str]:
    """Create the packaging-repository layout in `root`; returns what was made."""
    layout = layout or Layout()
    root.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    _write_new(root / CONFIG, _CONFIG_TEXT, made, root)
    _write_new(root / "README.md", _README, made, root)
    _write_new(root / ".gitignore", _GITIGNORE, made, root)
    for folder in layout.folders().values():
        path = root / folder
        if not path.exists():
            path.mkdir(parents=True)
            (path / ".gitkeep").touch()
            made.append(folder + "/")
    _write_new(root / layout.components / "__init__.py", "", made, root)
    return made


def new(repo: Repo, name: str, description: str) -> list[str]:
    """A new module with a docstring, metadata and a test; refuses a name that exists."""
    import_name = name.replace("-", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", import_name) or keyword.iskeyword(import_name):
        raise UsageError(f"'{name}' is no module name: use lower-case letters, digits and _ (like my_tool)")
    module = repo.folder("modules") / f"{import_name}.py"
    if module.exists() or (repo.folder("modules") / import_name).exists():
        raise UsageError(f"{module.relative_to(repo.root)} exists already")
    made: list[str] = []
    _write_new(
        module,
        f'"""{description}"""\n\n'
        "__package_metadata__ = {\n"
        '    "keywords": [],\n'
        '    "classifiers": ["Programming Language :: Python :: 3"],\n'
        "}\n\n\n"
        "def hello() -> str:\n"
        '    """Replace me with what the package does."""\n'
        f'    return "hello from {import_name}"\n',
        made,
        repo.root,
    )
    _write_new(
        repo.folder("tests") / import_name / f"test_{import_name}.py",
        f"from {import_name} import hello\n\n\ndef test_hello() -> None:\n"
        f'    assert hello() == "hello from {import_name}"\n',
        made,
        repo.root,
    )
    return made
