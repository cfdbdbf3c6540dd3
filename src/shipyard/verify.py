"""After publishing: the index serves every file we built, byte for byte, and the release installs
from that index alone.

The index is polled with backoff (indexes and CDNs lag) until `timeout`. A yanked file, or a file
whose served bytes differ from ours, fails at once: waiting will not fix either.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from shipyard import events, venvs
from shipyard.config import Repository
from shipyard.dists import Dist, wheel_top_level
from shipyard.errors import IndexError_, ShipyardError, VerifyError
from shipyard.index.credentials import Credential
from shipyard.index.listing import IndexFile, Listing
from shipyard.procenv import child_env, isolated_installer_env
from shipyard.publish import read
from shipyard.requirements import run_requirements

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
    deadline = time.monotonic() + timeout
    delay = _FIRST_DELAY
    while True:
        missing: list[str] = []
        try:
            listing = read(http, repo, project, cred)
            missing = [f for f in expected if listing.get(f) is None]
        except IndexError_ as exc:
            missing, listing = [exc.message], Listing()
        for filename, sha256 in expected.items():
            served = listing.get(filename)
            if served is not None:
                _judge(served, sha256, repo)
        if not missing:
            return listing
        if time.monotonic() + delay > deadline:
            raise VerifyError(f"{repo.name} does not serve {', '.join(missing)} (waited {timeout:g} s)")
        events.info(emit, f"{repo.name} does not list {', '.join(missing)} yet; retrying in {delay:g} s")
        time.sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)


def _judge(served: IndexFile, sha256: str, repo: Repository) -> None:
    if served.yanked:
        reason = f": {served.yanked_reason}" if served.yanked_reason else " (no reason given)"
        raise VerifyError(f"{served.filename} is yanked on {repo.name}{reason}")
    if served.sha256 is not None and served.sha256 != sha256:
        raise VerifyError(
            f"{repo.name} serves {served.filename} with sha256 {served.sha256}, but we built {sha256}"
        )


def download_sha256(
    http: requests.Session, repo: Repository, served: IndexFile, cred: Credential | None
) -> str:
    """The sha256 of the bytes the index actually serves for a file."""
    digest = hashlib.sha256()
    if served.url.startswith("file:"):
        from urllib.request import url2pathname

        with Path(url2pathname(served.url[len("file:") :])).open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    from shipyard.index.remote import READ_TIMEOUT, _auth_for

    try:
        with http.get(
            served.url, auth=_auth_for(served.url, repo, cred), stream=True, timeout=READ_TIMEOUT
        ) as resp:
            if resp.status_code != 200:
                raise VerifyError(f"{repo.name} does not deliver {served.filename}: HTTP {resp.status_code}")
            for chunk in resp.iter_content(1 << 20):
                digest.update(chunk)
    except requests.RequestException:
        raise VerifyError(f"downloading {served.filename} from {repo.name} failed") from None
    return digest.hexdigest()


def install_from_index(
    repo: Repository, wheel: Dist | None, project: str, version: str, cred: Credential | None, python: str
) -> None:
    """Install `project==version` into a fresh venv from `repo` alone, then import it.

    The package itself comes only from the target index (an isolated installer: no pip or uv
    configuration, no cache); its dependencies come from the user's usual sources.
    """
    index_url = repo.simple_url
    if cred is not None and not repo.is_local:
        scheme, _, rest = index_url.partition("://")
        from urllib.parse import quote

        index_url = (
            f"{scheme}://{quote(cred.username, safe='')}:{quote(cred.password.reveal(), safe='')}@{rest}"
        )
    with tempfile.TemporaryDirectory(prefix="shipyard-verify-") as tmp:
        py = venvs.create(Path(tmp) / "venv", python)
        if wheel is not None and (deps := run_requirements(wheel)):
            venvs.install(py, deps, what=f"the dependencies of {project}", env=child_env())
        venvs.install(
            py,
            ["--no-deps", "--no-cache", f"{project}=={version}"],
            what=f"{project} {version} from {repo.name}",
            env=isolated_installer_env({"UV_INDEX_URL": index_url}),
        )
        names = wheel_top_level(wheel) if wheel is not None else [project.replace("-", "_")]
        venvs.import_all(py, names, Path(tmp))


def verify(
    dists: list[Dist],
    repo: Repository,
    cred: Credential | None,
    *,
    timeout: float,
    install: bool,
    python: str,
    http: requests.Session | None = None,
    emit: events.Emit = events.ignore,
) -> Verified:
    """Prove that `repo` serves exactly `dists` and (if `install`) that the release installs from it."""
    from shipyard.dists import release_of
    from shipyard.index.remote import session

    name, version = release_of(dists)
    http = http or session()
    expected = {d.filename: d.sha256 for d in dists}
    events.step(emit, f"verifying {name} {version} on {repo.name}", repository=repo.name)
    listing = wait_for_files(http, repo, name, expected, cred, timeout=timeout, emit=emit)
    for filename, sha256 in expected.items():
        served = listing.files[filename]
        actual = download_sha256(http, repo, served, cred)
        if actual != sha256:
            raise VerifyError(f"{repo.name} delivers {filename} with sha256 {actual}, but we built {sha256}")
    events.info(emit, f"{repo.name} serves all {len(expected)} files with our sha256")
    if install:
        events.step(emit, f"installing {name}=={version} from {repo.name} alone in a fresh venv")
        wheels = [d for d in dists if d.kind == "wheel"]
        try:
            install_from_index(repo, wheels[0] if wheels else None, name, version, cred, python)
        except ShipyardError as exc:
            raise VerifyError(exc.message, detail=exc.detail) from None
        events.info(emit, f"{name} {version} installs from {repo.name} and imports")
    return Verified(repo.name, expected, install)
