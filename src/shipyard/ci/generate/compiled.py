"""Whether a project builds extension modules: then one machine cannot build its wheels, and the
generated GitHub workflow builds them with cibuildwheel on Linux, macOS and Windows."""

from __future__ import annotations

from pathlib import Path

# build backends that exist to compile: scikit-build-core (CMake), meson-python, maturin (Rust)
BACKENDS = ("scikit_build_core", "mesonpy", "maturin")


def is_compiled(root: Path, pyproject: dict[str, object]) -> bool:
    tool = pyproject.get("tool")
    if isinstance(tool, dict) and "cibuildwheel" in tool:
        return True
    system = pyproject.get("build-system")
    backend = system.get("build-backend") if isinstance(system, dict) else None
    if isinstance(backend, str) and backend.split(".")[0] in BACKENDS:
        return True
    setup = root / "setup.py"
    try:
        return setup.is_file() and "ext_modules" in setup.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
