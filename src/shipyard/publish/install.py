"""verify's install check: the very files verify downloaded from the index and hashed, installed
into a fresh venv and imported.

The installer sees only those files (`--no-index --find-links` of the folder they were downloaded
to, each pinned by its sha256): an index that lists another file for the release cannot get it
installed, and no file is downloaded twice. A release of an sdist alone is built into a wheel
first (its build backend from the user's usual sources, as any installer would fetch it). The
dependencies come from the user's usual sources; `siblings` (packages of the same packaging
repository) from the target index, alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shipyard.dists import Dist, identify, wheel_top_level
from shipyard.errors import InstallError
from shipyard.index.base import Index
from shipyard.tools import venvs
from shipyard.tools.procenv import child_env, isolated_installer_env


def _without_extras(requirements: Iterable[Requirement], environment: Mapping[str, str]) -> list[Requirement]:
    """The requirements a plain install (no extras) needs where the markers take `environment`."""
    return [r for r in requirements if r.marker is None or r.marker.evaluate({**environment, "extra": ""})]


def _installed_requirements(python: Path, names: Sequence[str], cwd: Path) -> list[Requirement]:
    """Every requirement (extras' too) of distributions installed in `python`'s venv."""
    code = (
        "import importlib.metadata as m, sys\n"
        "for n in sys.argv[1:]:\n"
        "    for r in m.requires(n) or []: print(r)"
    )
    result = venvs.run([str(python), "-c", code, *names], cwd=cwd)
    return [Requirement(line) for line in result.stdout.splitlines() if line.strip()]


def pinned(folder: Path, files: Sequence[Dist], tmp: Path) -> list[str]:
    """uv's arguments that install the release from `files` (in `folder`) and from nothing else:
    no index, no cache, every file pinned by the sha256 verify found."""
    name, version = files[0].name, files[0].version
    hashes = " ".join(f"--hash=sha256:{f.sha256}" for f in files)
    requirements = tmp / "served.txt"
    requirements.write_text(f"{name}=={version} {hashes}\n")
    return [
        "--no-deps", "--no-cache", "--no-index", "--find-links", str(folder),
        "--require-hashes", "-r", str(requirements),
    ]  # fmt: skip


def install_served(
    index: Index, folder: Path, files: Sequence[Dist], python: str, siblings: Sequence[str] = ()
) -> None:
    """Install the release in `files` (downloaded into `folder`) into a fresh venv, then import it."""
    where = index.repository.name
    name, version = files[0].name, files[0].version
    wheels = [f for f in files if f.kind == "wheel"]
    with tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        built = None if wheels else _wheel_from(files[0], Path(tmp) / "built", where)
        wheel = wheels[0] if wheels else built
        py = venvs.create(Path(tmp) / "venv", python)
        ours = {str(canonicalize_name(n)) for n in siblings}
        declared = (wheel.metadata.requires_dist or []) if wheel is not None else []
        environment = venvs.marker_environment(py) if declared else {}
        deps = _without_extras(declared, environment)
        external = [str(d) for d in deps if canonicalize_name(d.name) not in ours]
        from_index = [str(d) for d in deps if canonicalize_name(d.name) in ours]
        if external:
            venvs.install(py, external, what=f"the dependencies of {name}", env=child_env())
        ours_only = (
            ["--no-deps", "--no-index", str(built.path)] if built else pinned(folder, files, Path(tmp))
        )
        venvs.install(
            py,
            ours_only,
            what=f"{name} {version} from the files {where} served",
            env=isolated_installer_env(),
        )
        if from_index:
            _siblings(index, py, from_index, environment, ours, Path(tmp))
        names = wheel_top_level(wheel) if wheel is not None else [name.replace("-", "_")]
        venvs.import_all(py, names, Path(tmp))


def _wheel_from(sdist: Dist, out: Path, where: str) -> Dist:
    """The wheel that the sdist `where` served builds into (uv build, from the sdist itself)."""
    args = [venvs.uv(), "build", "--wheel", "--quiet", "--no-config", "--out-dir", str(out), str(sdist.path)]
    result = venvs.run(args, env=child_env())
    found = sorted(out.glob("*.whl")) if out.is_dir() else []
    if result.returncode or len(found) != 1:
        raise InstallError(
            f"could not build a wheel from {sdist.filename} as {where} served it: "
            f"{venvs.last_line(result.stderr)}",
            detail=result.stderr,
        )
    return identify(found[0])


def _siblings(
    index: Index, py: Path, wanted: list[str], environment: Mapping[str, str], ours: set[str], tmp: Path
) -> None:
    """The packaging repository's own packages from the target index alone, then what they need
    in turn from the usual sources."""
    where = index.repository.name
    with index.installer_env() as index_env:
        venvs.install(
            py,
            ["--no-deps", "--no-cache", *wanted],
            what=f"{', '.join(dict.fromkeys(wanted))} from {where}",  # a name listed twice is said once
            env=isolated_installer_env(index_env),
        )
    needed = _installed_requirements(py, [Requirement(w).name for w in wanted], tmp)
    if theirs := [
        str(d) for d in _without_extras(needed, environment) if canonicalize_name(d.name) not in ours
    ]:
        venvs.install(py, theirs, what="the dependencies of its sibling packages", env=child_env())
