"""A trusted-publishing credential that lives as long as its stage: minted just before the stage's
first upload, minted again once when the index refuses it after it ran out, burnt when the stage
is over (issue 22, point 4).

Minted before the build, a token (15 minutes on PyPI) ran out during a slow test-install. Before
the build only the early check runs (the index's audience, an id token the CI gives for it): a
missing credential still stops the release before anything is built.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from shipyard import events
from shipyard.config import Repository
from shipyard.errors import AuthError
from shipyard.index import oidc
from shipyard.index.base import Credential
from shipyard.index.ci import GITLAB

# a token is taken as run out this long before its `expires`: the index's clock may be ahead of ours
SKEW = 60.0


class MintedToken:
    """What a RemoteIndex asks for a credential when it first sends one (index.base.Minter)."""

    def __init__(
        self, repository: Repository, environ: Mapping[str, str], ci: str, audience: str, emit: events.Emit
    ) -> None:
        self.repository, self.environ, self.ci, self.audience = repository, environ, ci, audience
        self.emit = emit
        self.url = repository.upload_url
        self.source = f"trusted publishing ({ci})"
        self.trusted = ci
        # GitLab's id token is one variable for the whole job, and an index takes an id token once:
        # its token cannot be minted again (GitHub and the others ask the CI for a new one each time)
        self.once = ci == GITLAB
        self.traded = False
        self._held: Credential | None = None
        self._expires: float | None = None
        self._lock = threading.Lock()

    def held(self) -> Credential | None:
        """The token minted for this stage, if one was (reads never mint one)."""
        return self._held

    def get(self) -> Credential:
        """The stage's token, minted now if it has none."""
        with self._lock:
            if self._held is None:
                self._mint()
            assert self._held is not None
            return self._held

    def renew(self, refused: Credential, error: AuthError) -> Credential | None:
        """A token minted anew if the index refused `refused` (401/403) because it ran out, by its
        mint's `expires`; None if it did not run out (the refusal stands). An AuthError saying why
        if it ran out but cannot be minted again (GitLab's one id token)."""
        with self._lock:
            if self._held is not refused:  # another upload renewed it already
                return self._held
            if self._expires is None or time.time() < self._expires - SKEW:
                return None
            if self.once:
                raise error.extended(
                    f"; the token minted from {self.ci}'s id token ran out, and the index takes that "
                    "id token once: publish this stage in a job of its own, or sooner after the build"
                )
            events.info(self.emit, f"the upload token of {self.repository.name} ran out: minting another")
            self._mint()
            return self._held

    def burn(self, *, again: bool = False) -> None:
        """Revoke the stage's token at the index. `again`: the index serves another release in this
        run; a token that cannot be minted again is kept for it (burnt by the last burn())."""
        with self._lock:
            held = self._held
            if held is None or (again and self.once):
                return
            self._held = self._expires = None
        oidc.burn(self.repository, self.environ, held.password, self.emit)

    def _mint(self) -> None:
        if self.once and self.traded:
            raise AuthError(
                f"the upload token for {self.repository.name} from {self.ci}'s id token was used and "
                "burnt, and the index takes that id token once: publish it in a job of its own"
            )
        repo, environ = self.repository, self.environ
        self._held, self._expires = oidc.mint(repo, environ, self.ci, self.audience, self.emit)
        self.traded = True


def prepare(
    repository: Repository, environ: Mapping[str, str], ci: str, emit: events.Emit = events.ignore
) -> MintedToken:
    """The early check (oidc.early_check), and the token to mint when the stage first uploads."""
    audience = oidc.early_check(repository, environ, ci, emit)
    return MintedToken(repository, environ, ci, audience, emit)
