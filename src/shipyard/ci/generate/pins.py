"""GitHub actions the generated workflows use, pinned to full commit SHAs (a tag can be moved; a
commit cannot). Update here, in one place; the version goes into the workflow as a comment."""

from __future__ import annotations

# action -> (commit, the release it is)
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "actions/upload-pages-artifact": ("56afc609e74202658d3ffba0e8f6dda462b719fa", "v3.0.1"),
    "actions/deploy-pages": ("d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e", "v4.0.5"),
}


def uses(action: str) -> str:
    """`owner/name@sha # vX.Y.Z`, for a `uses:` line."""
    commit, version = ACTIONS[action]
    return f"{action}@{commit} # {version}"
