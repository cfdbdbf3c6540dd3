"""After publishing: the index serves every file we built, byte for byte, and the release installs
from that index alone.

The index is polled with backoff (indexes and CDNs lag) until `timeout`. A yanked file, or a file
whose served bytes differ from ours, fails at once: waiting will not fix either.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from shipyard import events
from shipyard.config import Repository
from shipyard.dists import Dist, identify, parse_filename, release_of, wheel_top_level
from shipyard.errors import IndexError_, ShipyardError, VerifyError
from shipyard.index.credentials import Credential
from shipyard.index.listing import IndexFile, Listing
from shipyard.publish.publish import read
from shipyard.publish.requirements import run_requirements
from shipyard.tools import network, venvs
from shipyard.tools.network import TransientError
from shipyard.tools.procenv import child_env, isolated_installer_env

_FIRST_DELAY, _MAX_DELAY = 0.25, 10.0


@dataclass(frozen=True)
class Verified:
    repository: str
    files: Mapping[str, str]  # filename -> sha256 as served
    installed: bool


def wait_for_files(
    http: requests.Session,
    repo: Repository,
    project: str,
    expected: Mapping[str, str],
    cred: Credential | None,
    *,
    timeout: float,
    emit: events.Emit = events.ignore,
) -> Listing:
    """Poll until the index lists every expected filename; fail at once on yanked or other hashes."""

    def attempt() -> tuple[Listing | None, str]:
        try:
            listing = read(http, repo, project, cred)
        except IndexError_ as exc:
            return None, f"{repo.name} does not serve {exc.message}"
        for filename, sha256 in expected.items():
            if (served := listing.get(filename)) is not None:
                _judge(served, sha256, repo)
        missing = [f for f in expected if listing.get(f) is None]
        return (None if missing else listing), f"{repo.name} does not serve {', '.join(missing)}"

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


def _refuse_yanked(served: IndexFile, repo: Repository) -> None:
    if served.yanked:
        reason = f": {served.yanked_reason}" if served.yanked_reason else " (no reason given)"
        raise VerifyError(f"{served.filename} is yanked on {repo.name}{reason}")


def _judge(served: IndexFile, sha256: str, repo: Repository) -> None:
    _refuse_yanked(served, repo)
    if served.sha256 is not None and served.sha256 != sha256:
        raise VerifyError(
            f"{repo.name} serves {served.filename} with sha256 {served.sha256}, but we built {sha256}"
        )


def download(
    http: requests.Session,
    repo: Repository,
    served: IndexFile,
    cred: Credential | None,
    dest: Path | None = None,
    emit: events.Emit = events.ignore,
) -> str:
    """The sha256 of the bytes the index actually serves for a file (kept in `dest` if given);
    transient faults are retried from the start."""
    from shipyard.index.remote import network_of

    def attempt() -> str:
        digest = hashlib.sha256()
        with dest.open("wb") if dest is not None else contextlib.nullcontext() as sink:
            for chunk in _chunks(http, repo, served, cred):
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
        return digest.hexdigest()

    return network.call(attempt, network_of(http), f"downloading {served.filename}", emit)


def _chunks(
    http: requests.Session, repo: Repository, served: IndexFile, cred: Credential | None
) -> Iterator[bytes]:
    if served.url.startswith("file:"):
        from urllib.request import url2pathname

        with Path(url2pathname(served.url[len("file:") :])).open("rb") as handle:
            yield from iter(lambda: handle.read(1 << 20), b"")
        return
    from shipyard.index.remote import TRANSIENT, auth_for, read_timeout

    failed = f"downloading {served.filename} from {repo.name} failed"
    try:
        with http.get(
            served.url, auth=auth_for(served.url, repo, cred), stream=True, timeout=read_timeout(http)
        ) as resp:
            if resp.status_code in network.RETRY_STATUSES:
                after = network.retry_after(resp.headers.get("Retry-After"))
                raise TransientError(f"{failed}: HTTP {resp.status_code}", retry_after=after)
            if resp.status_code != 200:
                raise VerifyError(f"{repo.name} does not deliver {served.filename}: HTTP {resp.status_code}")
            yield from resp.iter_content(1 << 20)
    except TRANSIENT:
        raise TransientError(failed) from None
    except requests.RequestException:
        raise VerifyError(failed) from None


def _installed_requirements(python: Path, names: Sequence[str], cwd: Path) -> list[str]:
    """The run-time requirements (no extras) of distributions installed in `python`'s venv."""
    code = (
        "import importlib.metadata as m, sys\n"
        "for n in sys.argv[1:]:\n"
        "    for r in m.requires(n) or []:\n"
        "        if 'extra' not in r.partition(';')[2]: print(r)"
    )
    result = venvs.run([str(python), "-c", code, *names], cwd=cwd)
    return [line for line in result.stdout.splitlines() if line.strip()]


def install_from_index(
    repo: Repository,
    wheel: Dist | None,
    project: str,
    version: str,
    cred: Credential | None,
    python: str,
    siblings: Sequence[str] = (),
) -> None:
    """Install `project==version` into a fresh venv from `repo` alone, then import it.

    The package itself comes only from the target index (an isolated installer: no pip or uv
    configuration, no cache); its dependencies come from the user's usual sources, except
    `siblings` (packages of the same packaging repository), which come from the target index too.
    """
    with _index_env(repo, cred) as index_env, tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        py = venvs.create(Path(tmp) / "venv", python)
        ours = {canonicalize_name(n) for n in siblings}
        deps = run_requirements(wheel) if wheel is not None else []
        external = [d for d in deps if canonicalize_name(Requirement(d).name) not in ours]
        from_index = [d for d in deps if canonicalize_name(Requirement(d).name) in ours]
        if external:
            venvs.install(py, external, what=f"the dependencies of {project}", env=child_env())
        venvs.install(
            py,
            ["--no-deps", "--no-cache", f"{project}=={version}", *from_index],
            what=f"{project} {version} from {repo.name}",
            env=isolated_installer_env(index_env),
        )
        if from_index:  # what those siblings need in turn, from the usual sources
            theirs = _installed_requirements(py, [Requirement(d).name for d in from_index], Path(tmp))
            if theirs := [d for d in theirs if canonicalize_name(Requirement(d).name) not in ours]:
                venvs.install(py, theirs, what=f"the dependencies of {project}", env=child_env())
        names = wheel_top_level(wheel) if wheel is not None else [project.replace("-", "_")]
        venvs.import_all(py, names, Path(tmp))


@contextlib.contextmanager
def _index_env(repo: Repository, cred: Credential | None) -> Iterator[dict[str, str]]:
    """The installer's index settings. A credential goes into a private netrc file that lives as long
    as the install (never on a command line, and never in a URL that the installer could print)."""
    from shipyard.index.remote import auth_for
    from shipyard.tools.secretfile import netrc_text, private_file

    env = {"UV_INDEX_URL": repo.simple_url}
    if auth_for(repo.simple_url, repo, cred) is None or cred is None:
        yield env
        return
    host = urlsplit(repo.simple_url).hostname or ""
    text = netrc_text(host, cred.username, cred.password)
    if text is None:  # a value netrc cannot hold: the URL form, still only in the environment
        scheme, _, rest = repo.simple_url.partition("://")
        user, password = (quote(part, safe="") for part in (cred.username, cred.password.reveal()))
        yield {"UV_INDEX_URL": f"{scheme}://{user}:{password}@{rest}"}
        return
    with private_file("netrc", text) as netrc:
        yield {**env, "NETRC": str(netrc)}


def verify(
    dists: list[Dist],
    repo: Repository,
    cred: Credential | None,
    *,
    timeout: float,
    install: bool,
    python: str,
    http: requests.Session | None = None,
    siblings: Sequence[str] = (),
    emit: events.Emit = events.ignore,
) -> Verified:
    """Prove that `repo` serves exactly `dists` and (if `install`) that the release installs from it
    (`siblings`: packages of the same packaging repository, installed from `repo` too)."""
    from shipyard.index.remote import session

    name, version = release_of(dists)
    http = http or session()
    expected = {d.filename: d.sha256 for d in dists}
    events.step(emit, f"verifying {name} {version} on {repo.name}", repository=repo.name)
    listing = wait_for_files(http, repo, name, expected, cred, timeout=timeout, emit=emit)
    for filename, sha256 in expected.items():
        actual = download(http, repo, listing.files[filename], cred, emit=emit)
        if actual != sha256:
            raise VerifyError(f"{repo.name} delivers {filename} with sha256 {actual}, but we built {sha256}")
    events.info(emit, f"{repo.name} serves all {len(expected)} files with our sha256")
    if install:
        _install_step(dists, repo, cred, python, emit, siblings)
    return Verified(repo.name, expected, install)


def verify_published(
    repo: Repository,
    project: str,
    version: str,
    cred: Credential | None,
    *,
    timeout: float,
    install: bool,
    python: str,
    emit: events.Emit = events.ignore,
) -> Verified:
    """Verify a release with no local build: every file of `project` `version` on `repo` is delivered
    with the sha256 the index advertises, none is yanked, and the release installs from there."""
    from shipyard.index.remote import session

    http = session()
    events.step(emit, f"verifying {project} {version} on {repo.name} (its files as the index lists them)")
    listing = wait_for_release(http, repo, project, version, cred, timeout=timeout, emit=emit)
    with tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        dists = []
        for served in listing.files.values():
            _refuse_yanked(served, repo)
            actual = download(http, repo, served, cred, Path(tmp) / served.filename)
            if served.sha256 is not None and actual != served.sha256:
                listed = served.sha256
                raise VerifyError(
                    f"{repo.name} delivers {served.filename} with sha256 {actual}, but lists {listed}"
                )
            dists.append(identify(Path(tmp) / served.filename, actual))
        events.info(emit, f"{repo.name} delivers all {len(dists)} files with the sha256 it lists")
        if install:
            _install_step(dists, repo, cred, python, emit)
    return Verified(repo.name, {d.filename: d.sha256 for d in dists}, install)


def wait_for_release(
    http: requests.Session,
    repo: Repository,
    project: str,
    version: str,
    cred: Credential | None,
    *,
    timeout: float,
    emit: events.Emit,
) -> Listing:
    """Poll until `repo` lists at least one file of `project` `version`; only those files are kept."""
    want = (canonicalize_name(project), Version(version))

    def attempt() -> tuple[Listing | None, str]:
        files = {}
        with contextlib.suppress(IndexError_):
            listed = read(http, repo, project, cred).files
            files = {f: entry for f, entry in listed.items() if _release(f) == want}
        return (Listing(files) if files else None), f"{repo.name} has no file of {project} {version}"

    return _poll(attempt, timeout, emit)


def _release(filename: str) -> tuple[str, Version] | None:
    try:
        _, name, version = parse_filename(filename)
        return name, Version(version)
    except (ValueError, InvalidVersion):
        return None


def _install_step(
    dists: list[Dist],
    repo: Repository,
    cred: Credential | None,
    python: str,
    emit: events.Emit,
    siblings: Sequence[str] = (),
) -> None:
    name, version = release_of(dists)
    events.step(emit, f"installing {name}=={version} from {repo.name} alone in a fresh venv")
    wheels = [d for d in dists if d.kind == "wheel"]
    try:
        install_from_index(repo, wheels[0] if wheels else None, name, version, cred, python, siblings)
    except ShipyardError as exc:
        raise VerifyError(exc.message, detail=exc.detail) from None
    events.info(emit, f"{name} {version} installs from {repo.name} and imports")
