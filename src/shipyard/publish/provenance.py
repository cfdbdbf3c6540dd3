"""After publishing: the PEP 740 provenance an index serves binds each file to our sha256 and to the
trusted publisher we expect.

The provenance URL comes from the listing (PEP 691's `provenance` key, HTML's `data-provenance`).
Each attestation is checked by pypi-attestations against sigstore's bundled trust root, offline (no
TUF refresh: no network): the certificate's chain to Fulcio, the signature over the statement, the
transparency-log entry and its inclusion proof, the statement's subject (our file name and sha256),
and the certificate's identity against the publisher: `--publisher`, else in CI the one running,
else the publisher the index itself names (then only the binding to the index's claim is proved, and
the result names that publisher). A publisher the user names makes provenance required: an index
serving none fails the stage; only the publisher derived from the CI job is lenient.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shipyard import events
from shipyard.errors import VerifyError
from shipyard.index.base import Index
from shipyard.index.listing import Listing, one_line

if TYPE_CHECKING:
    from pypi_attestations import Attestation, GitHubPublisher, GitLabPublisher, GooglePublisher, Provenance

EXTRA = "shipyard-release[attest]"


@dataclass(frozen=True)
class Expectation:
    """What a stage's provenance must show."""

    # github:OWNER/REPO@WORKFLOW, gitlab:NAMESPACE/PROJECT@CI_FILE, google:SERVICE_ACCOUNT_EMAIL; "" for any
    publisher: str = ""
    require: bool = False  # an index serving none fails the stage
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ, compare=False)

    @property
    def expected(self) -> str:
        return self.publisher or running_publisher(self.environ)

    @property
    def required(self) -> bool:
        """A publisher the user named is one the provenance must show: none served is a failure."""
        return self.require or bool(self.publisher)

    def why_required(self) -> str:
        return "--require-provenance" if self.require else f"--publisher {self.publisher} needs it"

    def source(self) -> str:
        """Who chose the publisher checked: the user, the CI job running, or the index itself."""
        if self.publisher:
            return "publisher"
        return "ci" if running_publisher(self.environ) else "index"


@dataclass(frozen=True)
class Proven:
    """What the served provenance was verified against: the publisher (as a spec) and who chose it
    (`publisher`: the user's --publisher; `ci`: the CI job running; `index`: the one it names)."""

    publisher: str
    source: str

    def as_json(self) -> dict[str, str]:
        return {"publisher": self.publisher, "chosen_by": self.source}


def running_publisher(environ: Mapping[str, str]) -> str:
    """The trusted publisher of the CI job we run in ("" outside GitHub Actions and GitLab CI)."""
    repo, ref = environ.get("GITHUB_REPOSITORY"), environ.get("GITHUB_WORKFLOW_REF")
    if environ.get("GITHUB_ACTIONS") == "true" and repo and ref:
        return f"github:{repo}@{ref.split('@', 1)[0].rsplit('/', 1)[-1]}"  # o/r/.github/workflows/W@ref
    if environ.get("GITLAB_CI") == "true" and (project := environ.get("CI_PROJECT_PATH")):
        return f"gitlab:{project}@{environ.get('CI_CONFIG_PATH') or '.gitlab-ci.yml'}"
    return ""


def check(
    index: Index,
    listing: Listing,
    expected: Mapping[str, str],
    expectation: Expectation,
    emit: events.Emit = events.ignore,
) -> Proven | None:
    """VerifyError unless every served provenance of the `expected` files (filename -> sha256)
    verifies; a stage serving none fails only when provenance is required (`--require-provenance`,
    or a publisher the user named). Returns whom it verified against; None when nothing was checked."""
    where = index.repository.name
    if not index.takes_attestations and not expectation.require:
        return None  # the local folder: it keeps no provenance to ask a publisher of
    served = {f: index.provenance(listing.files[f]) for f in expected}
    missing = [f for f, raw in served.items() if raw is None]
    if missing and expectation.required:
        more = f" (nor for {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise VerifyError(
            f"{where} serves no PEP 740 provenance for {missing[0]}{more} ({expectation.why_required()})"
        )
    if len(missing) == len(served):
        events.info(emit, f"{where} serves no PEP 740 provenance for the files: not checked")
        return None
    if missing:
        events.warning(emit, f"{where} serves no PEP 740 provenance for {', '.join(missing)}")
    try:
        from pypi_attestations import Provenance
    except ImportError:
        message = f"checking {where}'s PEP 740 provenance needs pypi-attestations: pip install '{EXTRA}'"
        if expectation.required:
            raise VerifyError(message) from None
        events.warning(emit, f"{message}: not checked")
        return None
    spec = expectation.expected
    named = _check_served(Provenance, served, spec, expected, where)
    proven = Proven(spec or ", ".join(sorted(named)), expectation.source())
    said = f"{where} serves provenance binding our sha256 to {proven.publisher}{_CHOSEN[proven.source]}"
    events.info(emit, f"{said}, verified offline")
    return proven


# how the result line says who chose the publisher checked
_CHOSEN = {
    "publisher": "",
    "ci": " (the CI job running)",
    "index": ", the publisher the index names (pass --publisher to require one)",
}


def _check_served(
    provenance: type[Provenance],
    served: Mapping[str, bytes | None],
    spec: str,
    expected: Mapping[str, str],
    where: str,
) -> set[str]:
    """The publishers (as specs) the index names in the provenance it serves, each attestation
    verified against `spec`'s publisher, or against the one its bundle names when `spec` is ""."""
    named = set()
    for filename, raw in served.items():
        if raw is None:
            continue
        try:
            bundles = provenance.model_validate_json(raw).attestation_bundles
        except ValueError as exc:
            raise VerifyError(
                f"{where} serves a provenance for {filename} that is not PEP 740's: {_line(exc)}"
            ) from None
        if not any(b.attestations for b in bundles):
            raise VerifyError(f"{where} serves a provenance for {filename} with no attestation")
        for bundle in bundles:
            named.add(describe(bundle.publisher))
            publisher = _publisher(spec) if spec else bundle.publisher
            for attestation in bundle.attestations:
                _verify(attestation, publisher, filename, expected[filename], where)
    return named


def _publisher(spec: str) -> GitHubPublisher | GitLabPublisher | GooglePublisher:
    """`github:OWNER/REPO@WORKFLOW` / `gitlab:NAMESPACE/PROJECT@CI_FILE` / `google:EMAIL` (the
    service account of a Google Cloud build; config checked the shape)."""
    from pypi_attestations import GitHubPublisher, GitLabPublisher, GooglePublisher

    kind, _, rest = spec.partition(":")
    if kind == "google":
        return GooglePublisher(email=rest)
    repository, _, file = rest.rpartition("@")
    if kind == "github":
        return GitHubPublisher(repository=repository, workflow=file)
    return GitLabPublisher(repository=repository, workflow_filepath=file)


def describe(publisher: object) -> str:
    """A PEP 740 publisher as a --publisher spec (other kinds by their kind and fields), as one
    printable line: it comes from the index."""
    return one_line(_spec_of(publisher))


def _spec_of(publisher: object) -> str:
    kind = getattr(publisher, "kind", "?")
    if kind == "GitHub":
        return f"github:{getattr(publisher, 'repository', '')}@{getattr(publisher, 'workflow', '')}"
    if kind == "GitLab":
        return f"gitlab:{getattr(publisher, 'repository', '')}@{getattr(publisher, 'workflow_filepath', '')}"
    if kind == "Google":
        return f"google:{getattr(publisher, 'email', '')}"
    dump = getattr(publisher, "model_dump", None)
    fields = {k: v for k, v in (dump() if callable(dump) else {}).items() if k != "kind" and v}
    return f"{kind}({', '.join(f'{k}={v}' for k, v in sorted(fields.items()))})" if fields else str(kind)


def _verify(attestation: Attestation, publisher: object, filename: str, sha256: str, where: str) -> None:
    from pypi_attestations import AttestationError, Distribution

    subjects = attestation.statement.get("subject")
    ours = [{"name": filename, "digest": {"sha256": sha256}}]
    if subjects != ours:  # said first and plainly: the attack is another file's provenance
        got = subjects[0].get("digest", {}).get("sha256") if isinstance(subjects, list) and subjects else None
        raise VerifyError(
            f"{where} serves a provenance for {filename} that attests sha256 {got or 'of another file'}, "
            f"not ours ({sha256})"
        )
    try:
        attestation.verify(publisher, Distribution(name=filename, digest=sha256), offline=True)  # type: ignore[arg-type]
    except (AttestationError, ValueError) as exc:
        raise VerifyError(
            f"the provenance {where} serves for {filename} does not verify as published by "
            f"{describe(publisher)}: {_line(exc)}"
        ) from None


def _line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__
