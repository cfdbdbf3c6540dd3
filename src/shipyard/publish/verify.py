"""After publishing: the index serves every file we built, byte for byte, and the release installs
from that index alone.

The index is polled with backoff (indexes and CDNs lag) until `timeout`, which is also the
deadline of all reads and downloads together (at least FLOOR seconds: `--timeout 0` is one look,
not no time). A yanked file, or a file whose served bytes differ from ours, fails at once: waiting
will not fix either. A download takes no more bytes than our build has (or the listing gives).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.dists import Dist, identify, parse_filename, release_of, wheel_top_level
from shipyard.errors import IndexError_, ShipyardError, VerifyError
from shipyard.index.base import Index
from shipyard.index.listing import IndexFile, Listing
from shipyard.publish import provenance
from shipyard.tools import deadline, venvs
from shipyard.tools.deadline import Expired
from shipyard.tools.procenv import child_env, isolated_installer_env

_FIRST_DELAY, _MAX_DELAY = 0.25, 10.0
FLOOR = 10.0  # seconds verify may take at least, for one look and the downloads


@dataclass(frozen=True)
class Verified:
    repository: str
    files: Mapping[str, str]  # filename -> sha256 as served
    installed: bool
    provenance: provenance.Proven | None = None  # whom the served PEP 740 provenance was verified against


def wait_for_files(
    index: Index,
    project: str,
    expected: Mapping[str, str],
    *,
    timeout: float,
    emit: events.Emit = events.ignore,
) -> Listing:
    """Poll until the index lists every expected filename; fail at once on yanked or other hashes."""
    where = index.repository.name

    def attempt() -> tuple[Listing | None, str]:
        try:
            listing = index.read(project)
        except Expired:
            raise
        except IndexError_ as exc:
            return None, f"{where} does not serve {exc.message}"
        for filename, sha256 in expected.items():
            if (served := listing.get(filename)) is not None:
                _judge(served, sha256, where)
        missing = [f for f in expected if listing.get(f) is None]
        return (None if missing else listing), f"{where} does not serve {', '.join(missing)}"

    return _poll(attempt, timeout, emit)


T = TypeVar("T")


def _poll(attempt: Callable[[], tuple[T | None, str]], timeout: float, emit: events.Emit) -> T:
    """Call `attempt` with backoff until it returns a value or `timeout` passes; its second item
    says what is still missing (indexes and CDNs lag behind an upload)."""
    deadline = time.monotonic() + timeout
    delay = _FIRST_DELAY
    while True:
        found, missing = attempt()
        if found is not None:
            return found
        if time.monotonic() + delay > deadline:
            raise VerifyError(f"{missing} (waited {timeout:g} s)")
        events.info(emit, f"{missing} yet; retrying in {delay:g} s")
        time.sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)


def _refuse_yanked(served: IndexFile, where: str) -> None:
    if served.yanked:
        reason = f": {served.yanked_reason}" if served.yanked_reason else " (no reason given)"
        raise VerifyError(f"{served.filename} is yanked on {where}{reason}")


def _judge(served: IndexFile, sha256: str, where: str) -> None:
    _refuse_yanked(served, where)
    if served.sha256 is not None and served.sha256 != sha256:
        raise VerifyError(
            f"{where} serves {served.filename} with sha256 {served.sha256}, but we built {sha256}"
        )


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


def install_from_index(
    index: Index,
    wheel: Dist | None,
    project: str,
    version: str,
    python: str,
    siblings: Sequence[str] = (),
) -> None:
    """Install `project==version` into a fresh venv from `index` alone, then import it.

    The package itself comes only from the target index (an isolated installer: no pip or uv
    configuration, no cache); its dependencies come from the user's usual sources, except
    `siblings` (packages of the same packaging repository), which come from the target index too.
    """
    where = index.repository.name
    with index.installer_env() as index_env, tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        py = venvs.create(Path(tmp) / "venv", python)
        ours = {canonicalize_name(n) for n in siblings}
        declared = (wheel.metadata.requires_dist or []) if wheel is not None else []
        environment = venvs.marker_environment(py) if declared else {}
        deps = _without_extras(declared, environment)
        external = [str(d) for d in deps if canonicalize_name(d.name) not in ours]
        from_index = [d for d in deps if canonicalize_name(d.name) in ours]
        if external:
            venvs.install(py, external, what=f"the dependencies of {project}", env=child_env())
        venvs.install(
            py,
            ["--no-deps", "--no-cache", f"{project}=={version}", *map(str, from_index)],
            what=f"{project} {version} from {where}",
            env=isolated_installer_env(index_env),
        )
        if from_index:  # what those siblings need in turn, from the usual sources
            needed = _installed_requirements(py, [d.name for d in from_index], Path(tmp))
            if theirs := [
                str(d) for d in _without_extras(needed, environment) if canonicalize_name(d.name) not in ours
            ]:
                venvs.install(py, theirs, what=f"the dependencies of {project}", env=child_env())
        names = wheel_top_level(wheel) if wheel is not None else [project.replace("-", "_")]
        venvs.import_all(py, names, Path(tmp))


def verify(
    dists: list[Dist],
    index: Index,
    *,
    timeout: float,
    install: bool,
    python: str,
    siblings: Sequence[str] = (),
    emit: events.Emit = events.ignore,
    expect: provenance.Expectation | None = None,
) -> Verified:
    """Prove that `index` serves exactly `dists`, with PEP 740 provenance as `expect`s (if given),
    and (if `install`) that the release installs from it (`siblings`: packages of the same
    packaging repository, installed from `index` too)."""
    name, version = release_of(dists)
    where = index.repository.name
    expected = {d.filename: d.sha256 for d in dists}
    sizes = {d.filename: d.size for d in dists}
    events.step(emit, f"verifying {name} {version} on {where}", repository=where)
    with _deadline(timeout):
        listing = wait_for_files(index, name, expected, timeout=timeout, emit=emit)
        for filename, sha256 in expected.items():
            actual = index.download(listing.files[filename], emit=emit, size=sizes[filename])
            if actual != sha256:
                raise VerifyError(f"{where} delivers {filename} with sha256 {actual}, but we built {sha256}")
    events.info(emit, f"{where} serves all {len(expected)} files with our sha256")
    proven = provenance.check(index, listing, expected, expect, emit) if expect is not None else None
    if install:
        _install_step(dists, index, python, emit, siblings)
    return Verified(where, expected, install, proven)


def verify_published(
    index: Index,
    project: str,
    version: str,
    *,
    timeout: float,
    install: bool,
    python: str,
    emit: events.Emit = events.ignore,
    expect: provenance.Expectation | None = None,
) -> Verified:
    """Verify a release with no local build: every file of `project` `version` on `index` is
    delivered with the sha256 the index advertises, none is yanked, and the release installs from there."""
    where = index.repository.name
    events.step(emit, f"verifying {project} {version} on {where} (its files as the index lists them)")
    with tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp, _deadline(timeout):
        listing = wait_for_release(index, project, version, timeout=timeout, emit=emit)
        dists = []
        for served in listing.files.values():
            _refuse_yanked(served, where)
            actual = index.download(served, Path(tmp) / served.filename)
            if served.sha256 is not None and actual != served.sha256:
                listed = served.sha256
                raise VerifyError(
                    f"{where} delivers {served.filename} with sha256 {actual}, but lists {listed}"
                )
            dists.append(identify(Path(tmp) / served.filename, actual))
        events.info(emit, f"{where} delivers all {len(dists)} files with the sha256 it lists")
        hashes = {d.filename: d.sha256 for d in dists}
        proven = provenance.check(index, listing, hashes, expect, emit) if expect is not None else None
        if install:
            _install_step(dists, index, python, emit)  # a subprocess: the deadline does not reach it
    return Verified(where, hashes, install, proven)


def _deadline(timeout: float) -> contextlib.AbstractContextManager[deadline.Deadline]:
    what = f"verify --timeout {timeout:g} s, for all its reads and downloads"
    return deadline.within(max(timeout, FLOOR), what)


def wait_for_release(
    index: Index, project: str, version: str, *, timeout: float, emit: events.Emit
) -> Listing:
    """Poll until `index` lists at least one file of `project` `version`; only those files are kept."""
    want = (canonicalize_name(project), Version(version))

    def attempt() -> tuple[Listing | None, str]:
        files = {}
        try:
            listed = index.read(project).files
            files = {f: entry for f, entry in listed.items() if _release(f) == want}
        except Expired:
            raise
        except IndexError_:
            pass
        return (
            Listing(files) if files else None
        ), f"{index.repository.name} has no file of {project} {version}"

    return _poll(attempt, timeout, emit)


def _release(filename: str) -> tuple[str, Version] | None:
    try:
        _, name, version = parse_filename(filename)
        return name, Version(version)
    except (ValueError, InvalidVersion):
        return None


def _install_step(
    dists: list[Dist], index: Index, python: str, emit: events.Emit, siblings: Sequence[str] = ()
) -> None:
    name, version = release_of(dists)
    where = index.repository.name
    events.step(emit, f"installing {name}=={version} from {where} alone in a fresh venv")
    wheels = [d for d in dists if d.kind == "wheel"]
    try:
        install_from_index(index, wheels[0] if wheels else None, name, version, python, siblings)
    except ShipyardError as exc:
        raise VerifyError(exc.message, detail=exc.detail) from None
    events.info(emit, f"{name} {version} installs from {where} and imports")
