"""PEP 517 builds: an sdist from the source tree, then the wheel from that sdist (which proves the
sdist is complete), in a fresh folder, reproducibly. The hooks are called through `build`."""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.metadata import parse_email

from shipyard import events
from shipyard.builder import envs as buildenv
from shipyard.builder.hookworker import build_both
from shipyard.builder.reproducible import normalize_sdist, source_date_epoch
from shipyard.config import read_pyproject
from shipyard.dists import Dist, identify, write_manifest
from shipyard.errors import BuildError, UsageError
from shipyard.tools import atomic, workdirs
from shipyard.tools.procenv import child_env
from shipyard.tools.venvs import exception_line

Kind = Literal["sdist", "wheel"]
_LEGACY_BACKEND = "setuptools.build_meta:__legacy__"

if TYPE_CHECKING:
    from build import ProjectBuilder
    from pyproject_hooks import SubprocessRunner


def _runner(epoch: int | None, env: Mapping[str, str], output: list[str]) -> SubprocessRunner:
    """Runs a backend hook quietly; its output is kept for the error message if it fails."""

    def run(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        extra = {**env, **(extra_environ or {})}
        if epoch is not None:
            extra["SOURCE_DATE_EPOCH"] = str(epoch)
        proc = subprocess.run(
            list(cmd),
            cwd=cwd,
            env=child_env(extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
        output.append(proc.stdout)
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, list(cmd), proc.stdout)

    return run


def _builder(srcdir: Path, isolated: bool, runner: SubprocessRunner) -> tuple[ProjectBuilder, list[str]]:
    import build as pybuild

    try:
        probe = pybuild.ProjectBuilder(srcdir, runner=runner)
        requires = sorted(probe.build_system_requires)
        if not isolated:
            return probe, requires
        env = buildenv.environment(requires)
        return pybuild.ProjectBuilder.from_isolated_env(env, srcdir, runner=runner), requires
    except pybuild.BuildException as exc:
        raise BuildError(f"{srcdir}: {exc}") from None


def _build_one(
    srcdir: Path, kind: Kind, outdir: Path, isolated: bool, epoch: int | None, extra_env: Mapping[str, str]
) -> Path:
    import build as pybuild

    output: list[str] = []
    runner = _runner(epoch, extra_env, output)
    builder, requires = _builder(srcdir, isolated, runner)
    try:
        if isolated and (extra := _dynamic_requires(builder, kind, srcdir, requires)):
            env = buildenv.environment([*requires, *extra])
            builder = pybuild.ProjectBuilder.from_isolated_env(env, srcdir, runner=runner)
        return Path(builder.build(kind, outdir))
    except pybuild.BuildBackendException:
        text = "".join(output)
        raise BuildError(
            f"building the {kind} failed: {exception_line(text)} (--verbose shows the backend's output)",
            detail=text,
        ) from None
    except pybuild.BuildException as exc:
        raise BuildError(f"building the {kind} failed: {exc}") from None


def _backend(srcdir: Path) -> str:
    """The build backend pyproject.toml names; PEP 517's fallback (setuptools' legacy one) if none."""
    pyproject = read_pyproject(srcdir) if (srcdir / "pyproject.toml").is_file() else {}
    system = pyproject.get("build-system")
    backend = system.get("build-backend") if isinstance(system, dict) else None
    return backend if isinstance(backend, str) and backend else _LEGACY_BACKEND


def _one_process(
    srcdir: Path, isolated: bool, epoch: int | None, env: Mapping[str, str]
) -> tuple[str, str, dict[str, str]] | None:
    """(python, backend, environment) for one worker that builds both files; None when the hooks
    need their own processes: no isolation, an in-tree backend, or other requirements per kind."""
    pyproject = read_pyproject(srcdir) if (srcdir / "pyproject.toml").is_file() else {}
    system = pyproject.get("build-system")
    if not isolated or (isinstance(system, dict) and "backend-path" in system):
        return None
    builder, requires = _builder(srcdir, True, _runner(epoch, env, []))
    extra = _dynamic_requires(builder, "sdist", srcdir, requires)
    if sorted(extra) != sorted(_dynamic_requires(builder, "wheel", srcdir, requires)):
        return None
    cached = buildenv.environment([*requires, *extra])
    environ = {**env, **cached.make_extra_environ()}
    if epoch is not None:
        environ["SOURCE_DATE_EPOCH"] = str(epoch)
    return cached.python_executable, _backend(srcdir), environ


def _dynamic_requires(builder: ProjectBuilder, kind: Kind, srcdir: Path, requires: list[str]) -> list[str]:
    """What `get_requires_for_build_<kind>` adds; the answer is remembered per configuration."""
    memo = buildenv.remembered_requires(kind, srcdir, _backend(srcdir), requires)
    try:
        extra: list[str] = json.loads(memo.read_text())
    except (OSError, ValueError):
        extra = sorted(builder.get_requires_for_build(kind))
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(json.dumps(extra))
    return extra


def extract_sdist(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:  # pragma: no cover - Python < 3.10.12
            for member in tf.getmembers():
                if member.name.startswith(("/", "..")) or "/../" in member.name:
                    raise BuildError(f"{sdist.name} holds an unsafe path: {member.name}")
            tf.extractall(dest)  # noqa: S202
    roots = [p for p in dest.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise BuildError(f"{sdist.name} does not hold one top-level folder")
    return roots[0]


def build(
    srcdir: Path,
    out_dir: Path,
    *,
    isolated: bool = True,
    emit: events.Emit = events.ignore,
    epoch: int | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Dist]:
    """Build the sdist and the wheel of the project in `srcdir` into `out_dir`.

    The files are made in a private folder and moved into `out_dir` only when both succeeded; the
    manifest in `out_dir` then lists exactly these files. `epoch` (default: from `srcdir`) pins the
    file times; `env` is handed to the backend (a version to pretend, for setuptools-scm).
    """
    if not (srcdir / "pyproject.toml").is_file() and not (srcdir / "setup.py").is_file():
        raise UsageError(f"{srcdir} is not a Python project (no pyproject.toml or setup.py)")
    epoch = source_date_epoch(srcdir) if epoch is None else epoch
    env = env or {}
    with tempfile.TemporaryDirectory(prefix="shipyard-build-") as tmp:
        work = Path(tmp)
        events.step(emit, "building sdist", path=str(srcdir))
        if (one := _one_process(srcdir, isolated, epoch, env)) is not None:
            sdist, wheel = build_both(*one[:2], srcdir, work, one[2], emit)
            if epoch is not None:
                normalize_sdist(sdist, epoch)
        else:
            sdist = _build_one(srcdir, "sdist", work / "out", isolated, epoch, env)
            if epoch is not None:
                normalize_sdist(sdist, epoch)
            events.step(emit, "building wheel from the sdist")
            unpacked = extract_sdist(sdist, work / "src")
            wheel = _build_one(unpacked, "wheel", work / "out", isolated, epoch, env)
        workdirs.ensure(out_dir)
        dists = []
        for made in (sdist, wheel):
            target = out_dir / made.name
            atomic.copy(made, target)  # from /tmp, often another file system: whole or not at all
            dist = identify(target)
            dists.append(dist)
            emit(events.Event("file", f"{dist.filename}  sha256:{dist.sha256}", dist.as_json()))
    write_manifest(out_dir, dists)
    return dists


def backend_metadata(srcdir: Path, *, isolated: bool = True) -> tuple[str, str]:
    """The name and version the backend reports for the project (dynamic ones and setup.py-only
    projects included), asked through `prepare_metadata_for_build_wheel`, without building."""
    import build as pybuild

    output: list[str] = []
    runner = _runner(source_date_epoch(srcdir), {}, output)
    builder, requires = _builder(srcdir, isolated, runner)
    try:
        if isolated and (extra := _dynamic_requires(builder, "wheel", srcdir, requires)):
            builder = pybuild.ProjectBuilder.from_isolated_env(
                buildenv.environment([*requires, *extra]), srcdir, runner=runner
            )
        with tempfile.TemporaryDirectory(prefix="shipyard-metadata-") as tmp:
            path = Path(builder.metadata_path(tmp)) / "METADATA"
            raw, _ = parse_email(path.read_text(encoding="utf-8"))
    except (pybuild.BuildException, pybuild.BuildBackendException, OSError) as exc:
        text = "".join(output)
        raise BuildError(
            f"the backend could not say the name and version: {exception_line(text) or exc}", detail=text
        ) from None
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise BuildError("the backend could not say the name and version: its metadata lacks them")
    return name, version


def metadata_version(srcdir: Path, *, isolated: bool = True) -> str:
    """The version the backend reports for the project (dynamic versions included), without building."""
    return backend_metadata(srcdir, isolated=isolated)[1]
