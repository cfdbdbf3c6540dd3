"""Bytecode kept by its source's content (tools/bytecode.py), proven with Python's own import: `-v`
says whether a module's code came from a .pyc or was compiled from the source."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import py_compile
import subprocess
import sys
from pathlib import Path

from shipyard.tools.bytecode import Kept, cache_tag

TAG = sys.implementation.cache_tag


def _venv(root: Path) -> Path:
    """A venv's layout as uv leaves it: pyvenv.cfg and a site-packages of two distributions."""
    v = sys.version_info
    root.mkdir()
    (root / "pyvenv.cfg").write_text(
        f"implementation = CPython\nversion_info = {v.major}.{v.minor}.{v.micro}\n"
    )
    site = root / "lib" / f"python{v.major}.{v.minor}" / "site-packages"
    _install(site, "tool", 'SAID = "the tool"\n')
    _install(site, "ours", 'SAID = "ours"\n')
    return root


def _install(site: Path, name: str, text: str, record: str | None = None) -> None:
    (site / name).mkdir(parents=True, exist_ok=True)
    (site / name / "__init__.py").write_text(text)
    digest = base64.urlsafe_b64encode(hashlib.sha256((record or text).encode()).digest()).rstrip(b"=")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "RECORD").write_text(
        f"{name}/__init__.py,sha256={digest.decode()},{len(text)}\n{info.name}/RECORD,,\n"
    )


def _site(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def _pyc(source: Path, prefix: Path | None) -> str:
    """Where Python keeps the bytecode of `source` with that PYTHONPYCACHEPREFIX (its own rule)."""
    old, sys.pycache_prefix = sys.pycache_prefix, str(prefix) if prefix else None
    try:
        return importlib.util.cache_from_source(str(source))
    finally:
        sys.pycache_prefix = old


def _compiled_by_python(venv: Path, prefix: Path | None = None) -> None:
    """What an import with bytecode writing on leaves: a timestamped .pyc for each source."""
    for source in _site(venv).glob("*/__init__.py"):
        mode = py_compile.PycInvalidationMode.TIMESTAMP
        py_compile.compile(str(source), cfile=_pyc(source, prefix), invalidation_mode=mode)


def _import(venv: Path, name: str, prefix: Path | None = None) -> tuple[str, bool]:
    """(the module's SAID, whether its code came from the .pyc), as a fresh interpreter imports it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(_site(venv))}
    env |= {"PYTHONPYCACHEPREFIX": str(prefix)} if prefix else {}
    done = subprocess.run(
        [sys.executable, "-v", "-c", f"import {name}; print({name}.SAID)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    pyc = _pyc(_site(venv) / name / "__init__.py", prefix)
    return done.stdout.strip(), f"code object from '{pyc}'" in done.stderr


def _clear(venv: Path) -> None:
    for cached in _site(venv).glob("*/__pycache__/*.pyc"):
        cached.unlink()


def test_a_fresh_venv_gets_the_bytecode_an_earlier_one_compiled_and_python_takes_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _venv(tmp_path / "first")
    _compiled_by_python(first)
    assert Kept(store, first, skip=["ours"]).keep() == 1  # the tool's, never the package under test's
    second = _venv(tmp_path / "second")  # other files, other times: the same bytes
    os.utime(_site(second) / "tool" / "__init__.py", (1_000_000, 1_000_000))
    assert _import(second, "tool") == ("the tool", False)
    _clear(second)
    assert Kept(store, second, skip=["ours"]).place() == 1
    assert _import(second, "tool") == ("the tool", True)  # Python checked the header and used it
    assert _import(second, "ours") == ("ours", False)


def test_an_entry_is_used_only_for_the_bytes_it_was_compiled_from(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _venv(tmp_path / "first")
    _compiled_by_python(first)
    Kept(store, first, skip=[]).keep()
    changed = _venv(tmp_path / "changed")
    # the same size, and a RECORD that still claims the old bytes: the entry must not be used
    _install(_site(changed), "tool", 'SAID = "tamper!!"\n', record='SAID = "the tool"\n')
    assert Kept(store, changed, skip=[]).place() == 1  # ours matched; the tool's did not
    assert _import(changed, "tool") == ("tamper!!", False)


def test_only_current_bytecode_is_kept(tmp_path: Path) -> None:
    store = tmp_path / "store"
    venv = _venv(tmp_path / "venv")
    _compiled_by_python(venv)
    source = _site(venv) / "tool" / "__init__.py"
    os.utime(source, (2_000_000, 2_000_000))  # the .pyc now describes another state of the file
    assert Kept(store, venv, skip=["ours"]).keep() == 0
    assert not list(store.rglob("*.pyc"))


def test_no_cache_tag_keeps_nothing(tmp_path: Path) -> None:
    venv = _venv(tmp_path / "venv")
    (venv / "pyvenv.cfg").write_text("implementation = PyPy\nversion_info = 3.10.14\n")
    assert cache_tag(venv) is None
    _compiled_by_python(venv)
    assert Kept(tmp_path / "store", venv, skip=[]).keep() == 0
    assert cache_tag(_venv(tmp_path / "cp")) == TAG


def test_a_pycache_prefix_is_where_bytecode_is_kept_from_and_placed(tmp_path: Path) -> None:
    store, prefix = tmp_path / "store", tmp_path / "prefix"
    first = _venv(tmp_path / "first")
    _compiled_by_python(first, prefix)
    assert Kept(store, first, skip=["ours"]).keep() == 0  # nothing beside the sources
    assert Kept(store, first, skip=["ours"], prefix=str(prefix)).keep() == 1
    second = _venv(tmp_path / "second")
    assert Kept(store, second, skip=["ours"], prefix=str(prefix)).place() == 1
    assert _import(second, "tool", prefix) == ("the tool", True)
    assert Kept(store, second, skip=[], prefix="relative/prefix").place() == 0  # where would it be?
