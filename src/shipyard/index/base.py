"""What every stage talks to: an `Index`, and the `Credential` it may send.

An Index owns its repository (name, URLs), its HTTP session, its credential and the origin
(scheme, host, port) that credential may go to. Stages get one from `index.open.open_index` and
never put a session, a repository and a credential together by hand; none of them asks whether
the index is a server or the local folder. This module imports nothing else of `index/`: the
implementations (`remote.RemoteIndex`, `local.LocalIndex`) and the credential sources import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from shipyard import events
from shipyard.secrets import Secret, register_login

if TYPE_CHECKING:
    from shipyard.config import Repository
    from shipyard.dists import Dist
    from shipyard.errors import AuthError
    from shipyard.index.listing import IndexFile, Listing
    from shipyard.tools.network import Network

TOKEN_USER = "__token__"  # noqa: S105 - the user name that goes with API tokens, not a secret
Progress = Callable[[int, int], None]  # (bytes sent, bytes in all) while uploading
DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of `url`, the default port filled in; None if it has no valid port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return None
    return scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True)
class Credential:
    username: str
    password: Secret
    source: str  # where it came from, for messages ("SHIPYARD_PYPI_TOKEN", "~/.pypirc"...)
    url: str  # the upload URL it was declared for: an Index of another origin refuses it
    trusted: str = ""  # the CI whose OIDC identity minted it (trusted publishing), else ""

    def __post_init__(self) -> None:
        register_login(self.username, self.password.reveal())


class Minter(Protocol):
    """A credential made when it is first sent (trusted publishing: index.minted.MintedToken), so
    that it lives as long as its stage: minted at the first upload, renewed once when the index
    refuses it after it ran out, burnt when the stage is over. Reads never mint one."""

    url: str  # the upload URL it is for
    source: str
    trusted: str  # the CI whose OIDC identity mints it

    def held(self) -> Credential | None: ...

    def get(self) -> Credential: ...

    def renew(self, refused: Credential, error: AuthError) -> Credential | None: ...

    def burn(self, *, again: bool = False) -> None: ...


# the public indexes by the name (and OIDC audience) they go by, and their own hosts: a credential
# named for one (SHIPYARD_PYPI_TOKEN) and an id token for its audience go there only, over https
PUBLIC_INDEXES = {
    "pypi": ("PyPI", frozenset({"pypi.org", "upload.pypi.org"})),
    "testpypi": ("TestPyPI", frozenset({"test.pypi.org"})),
}


def on_public_index(name: str, url: str) -> bool:
    """Whether `url` is on public index `name`'s own host, over https on its default port."""
    _, hosts = PUBLIC_INDEXES[name]
    found = origin(url)
    return found is not None and found[0] == "https" and found[1] in hosts and found[2] == 443


def env_prefix(repository: str) -> str:
    """`SHIPYARD_<NAME>_`: where the credential of repository NAME is looked up first."""
    return "SHIPYARD_" + repository.upper().replace("-", "_").replace(".", "_") + "_"


# the project page people see, for the public indexes (their simple pages are for installers)
_PROJECT_PAGES = {"pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}


def release_page(repository: Repository, name: str, version: str) -> str:
    """Where people can see release `name` `version` on `repository`: the project page on PyPI and
    TestPyPI, the index's simple page of the project elsewhere (the one page every index has)."""
    site = _PROJECT_PAGES.get(urlsplit(repository.simple_url).hostname or "")
    if site is not None:
        return f"{site}/project/{canonicalize_name(name)}/{version}/"
    return f"{repository.simple_url.rstrip('/')}/{canonicalize_name(name)}/"


def conflict_message(filename: str, served: str | None, ours: str, where: str) -> str:
    return (
        f"{where} already has {filename} with sha256 {served}, but this build's is {ours}: "
        "a published file can never be replaced, bump the version"
    )


class Index(Protocol):
    """A package index: what it serves, a file uploaded to it, a file downloaded from it, and the
    environment an installer needs to install from it (credentials included)."""

    @property
    def repository(self) -> Repository: ...

    @property
    def network(self) -> Network: ...

    def read(self, project: str, emit: events.Emit = events.ignore) -> Listing:
        """What the index serves for `project` (transient faults retried); IndexError_ if it cannot
        be read or is not an index."""
        ...

    @property
    def credential(self) -> Credential | None:
        """What it sends with uploads (None: nothing)."""
        ...

    @property
    def trusted(self) -> str:
        """The CI whose OIDC identity publishes here (trusted publishing), else "" (none minted yet
        or not): what signs the attestations."""
        ...

    def burn(self, *, again: bool = False) -> None:
        """The stage is over: revoke the upload token minted for it (trusted publishing), if any;
        the next upload mints another. `again`: another release of this run uses the index."""
        ...

    @property
    def takes_attestations(self) -> bool:
        """Whether uploads may carry PEP 740 attestations (an index server; not the local folder)."""
        ...

    def upload(
        self, dist: Dist, progress: Progress, attestations: Sequence[Mapping[str, object]] = ()
    ) -> bool:
        """Publish `dist` once (with its PEP 740 `attestations`, if any); False if the identical file
        was already there. Raises TransientError for what may pass, ConflictError / AuthError /
        IndexError_ for refusals (`refusal.Refused` for a refusal of the upload's content)."""
        ...

    def provenance(self, file: IndexFile) -> bytes | None:
        """The PEP 740 provenance object the index serves for `file` (its raw JSON); None if none."""
        ...

    def download(
        self,
        file: IndexFile,
        dest: Path | None = None,
        emit: events.Emit = events.ignore,
        *,
        size: int | None = None,
    ) -> str:
        """The sha256 of the bytes the index delivers for `file` (kept in `dest` if given); no more
        than `size` bytes (our build's), else the listing's size, else download-limit, are taken."""
        ...

    def installer_env(self) -> AbstractContextManager[dict[str, str]]:
        """Environment variables for uv to install from this index alone, valid inside the block."""
        ...
