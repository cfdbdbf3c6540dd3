"""PEP 740 publish attestations for an upload: signed in CI with its identity, or found beside the dists.

Under trusted publishing, the CI's OIDC identity (a token for audience `sigstore`, fetched by `id`)
signs one publish attestation per dist through sigstore (a Fulcio certificate, a Rekor entry), as
the PyPA's publish action does. `--attestations` also takes the `<dist>.*.attestation` files beside
each dist (twine's convention). pypi-attestations and sigstore are the optional extra `attest`:
without it, or when signing fails, the upload goes on without attestations and says so once; where
`--attestations` was asked for, it fails instead, before anything is uploaded.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipyard import events
from shipyard.dists import Dist
from shipyard.errors import CheckError, ShipyardError, UsageError
from shipyard.index.base import Index

SIGSTORE_AUDIENCE = "sigstore"
EXTRA = "shipyard-release[attest]"
_MAX = 1 << 20  # an attestation is a few kB
Attestations = dict[str, list[dict[str, object]]]  # dist filename -> its PEP 740 attestation objects


def beside(dist: Dist) -> list[Path]:
    """`<dist>.*.attestation` in the dist's folder (twine's convention), sorted."""
    pattern = glob.escape(dist.path.name) + ".*.attestation"
    return sorted(p for p in dist.path.parent.glob(pattern) if p.is_file())


def load(path: Path, dist: Dist) -> dict[str, object]:
    """The attestation in `path`; UsageError if it is not one, or attests another file."""
    with path.open("rb") as f:
        raw = f.read(_MAX + 1)
    try:
        data = json.loads(raw) if len(raw) <= _MAX else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise UsageError(f"{path.name} is not a PEP 740 attestation (not a JSON object of at most 1 MiB)")
    try:
        from pypi_attestations import Attestation
    except ImportError:
        return data  # the index checks it; without the library, its shape is all we know
    try:
        subjects = Attestation.model_validate(data).statement.get("subject")
    except ValueError as exc:
        raise UsageError(f"{path.name} is not a PEP 740 attestation: {_first_line(exc)}") from None
    ours = [{"name": dist.filename, "digest": {"sha256": dist.sha256}}]
    if subjects != ours:
        raise UsageError(
            f"{path.name} does not attest {dist.filename} with sha256 {dist.sha256} (its subject: "
            f"{json.dumps(subjects)[:200]}): not uploading it"
        )
    return data


def sign(dists: Sequence[Dist], ci: str, environ: Mapping[str, str]) -> Attestations:
    """One publish attestation per dist, signed with the CI's ambient identity (needs the network
    to Sigstore's Fulcio and Rekor). ImportError without the extra; other errors as sigstore raises them."""
    from pypi_attestations import Attestation, Distribution
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    from shipyard.index import oidc  # the CI's token exchange: only when signing

    identity = IdentityToken(oidc.ambient_token(environ, SIGSTORE_AUDIENCE, ci))
    context = SigningContext.from_trust_config(ClientTrustConfig.production())
    with context.signer(identity) as signer:
        return {
            d.filename: [
                Attestation.sign(signer, Distribution(name=d.filename, digest=d.sha256)).model_dump(
                    mode="json"
                )
            ]
            for d in dists
        }


@dataclass
class Attester:
    """What each stage's upload carries. Signing happens once a release, for the first stage that
    publishes through trusted publishing; a failure to sign is said once."""

    attest: bool  # the `attest` option: sign under trusted publishing
    files: bool  # the `attestations` option: take the files beside the dists, and insist
    emit: events.Emit = events.ignore
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _signed: Attestations | None = None
    _said: bool = False

    def __post_init__(self) -> None:
        if self.files and not self.attest:
            raise UsageError(
                "attestations = true (--attestations) and attest = false (--no-attest) contradict"
            )

    @property
    def strict(self) -> bool:
        return self.files

    def for_index(self, dists: Sequence[Dist], index: Index) -> Attestations:
        """The attestations to upload with `dists` to `index`, by filename; UsageError / CheckError
        (under --attestations) when a dist would go without one."""
        if not self.attest:
            return {}
        found = {d.filename: [load(p, d) for p in beside(d)] for d in dists} if self.files else {}
        if not index.takes_attestations:
            if self.files:
                self._say(f"{index.repository.name} keeps no attestations: uploading the files without them")
            return {}
        unsigned = [d for d in dists if not found.get(d.filename)]
        if index.trusted and unsigned:
            found.update({k: v for k, v in self._sign(dists, index.trusted).items() if not found.get(k)})
        if self.files and (missing := [d.filename for d in dists if not found.get(d.filename)]):
            raise UsageError(
                f"no attestation for {missing[0]}: none beside it ({missing[0]}.*.attestation) and no "
                "trusted publishing identity to sign one (--attestations needs one per dist)"
            )
        return {k: v for k, v in found.items() if v}

    def _sign(self, dists: Sequence[Dist], ci: str) -> Attestations:
        if self._signed is not None:
            return self._signed
        self._signed = {}
        try:
            events.step(self.emit, f"signing a PEP 740 attestation for {len(dists)} files as {ci}")
            self._signed = sign(dists, ci, self.environ)
        except ImportError:
            self._fail(f"signing attestations needs pypi-attestations and sigstore: pip install '{EXTRA}'")
        except ShipyardError as exc:
            self._fail(f"cannot sign attestations: {exc.message}")
        except Exception as exc:  # sigstore's stack raises many kinds: each ends here alike
            self._fail(
                f"cannot sign attestations with the {ci} identity ({type(exc).__name__}: {_first_line(exc)})"
            )
        return self._signed

    def _fail(self, message: str) -> None:
        if self.strict:
            raise CheckError(f"{message}; not uploading (--attestations)")
        self._say(f"{message}: uploading without attestations")

    def _say(self, message: str) -> None:
        if not self._said:
            self._said = True
            events.warning(self.emit, message)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
