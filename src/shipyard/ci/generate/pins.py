"""GitHub actions the generated workflows use, pinned to full commit SHAs (a tag can be moved; a
commit cannot). Update here, in one place; the version goes into the workflow as a comment.

Each is a release whose action.yml runs on Node 24 (`runs.using: node24`; the Pages upload and
cibuildwheel are composite, the first over upload-artifact v7): GitHub forces Node 20 actions onto
Node 24 with a deprecation notice on every job. Read from the actions' own repositories (tag ->
commit, action.yml at that commit, the release notes): checkout v6.0.2 keeps annotated tags
(which shipyard reads), download-artifact v8 fails on a digest mismatch by default."""

from __future__ import annotations

# action -> (commit, the release it is)
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
    "pypa/cibuildwheel": ("1828c10ab37f080699c7b81cea34097c684a7074", "v4.2.0"),
}


def uses(action: str) -> str:
    """`owner/name@sha # vX.Y.Z`, for a `uses:` line."""
    commit, version = ACTIONS[action]
    return f"{action}@{commit} # {version}"
