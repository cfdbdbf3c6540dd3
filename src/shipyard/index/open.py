"""Which Index a repository is: the embedded folder index, or a server."""

from __future__ import annotations

from shipyard.config import Repository
from shipyard.index.base import Credential, Index, Minter
from shipyard.index.local import LocalIndex
from shipyard.index.remote import RemoteIndex
from shipyard.tools.network import Network


def open_index(repository: Repository, credential: Credential | Minter | None, network: Network) -> Index:
    """The index behind `repository`, holding `credential` (None: it needs none, or reads anonymously;
    a Minter: trusted publishing, minted at the first upload)."""
    if repository.local_path is not None:
        return LocalIndex(repository, repository.local_path, network)
    return RemoteIndex(repository, credential, network)
