"""Which CI this run is in, among those that issue OIDC tokens (trusted publishing): told from the
environment alone, without loading the token machinery (index.oidc, the `id` library), which only
a run in such a CI needs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

GITHUB = "GitHub Actions"
GITLAB = "GitLab CI"
# the CIs `id` (the PyPA's ambient-credential library) fetches an OIDC token in, by the variable
# that says we run there; Google Cloud is told by its service account or its machine's product name
_MARKERS = {
    "GITHUB_ACTIONS": GITHUB,
    "GITLAB_CI": GITLAB,
    "BUILDKITE": "Buildkite",
    "CIRCLECI": "CircleCI",
    "GOOGLE_SERVICE_ACCOUNT_NAME": "Google Cloud",
}
_GCP_PRODUCT = Path("/sys/class/dmi/id/product_name")


def provider(environ: Mapping[str, str]) -> str | None:
    """The CI we run in, if it is one that issues OIDC tokens."""
    for marker, ci in _MARKERS.items():
        if environ.get(marker) and (marker != "GITHUB_ACTIONS" or environ[marker] == "true"):
            return ci
    try:
        return (
            "Google Cloud"
            if _GCP_PRODUCT.read_text().strip() in ("Google", "Google Compute Engine")
            else None
        )
    except OSError:
        return None
