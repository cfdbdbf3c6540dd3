"""The environment handed to every child process: the user's, minus anything that is a credential.

Build backends run arbitrary project code (setup.py) and installers talk to the network; neither
needs the publishing credentials, so they never see them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

_CREDENTIAL = re.compile(
    r"^(SHIPYARD_.*_(TOKEN|PASSWORD|USERNAME)|TWINE_(USERNAME|PASSWORD)|ACTIONS_ID_TOKEN_REQUEST_TOKEN"
    r"|.*_ID_TOKEN|PYPI_.*(TOKEN|PASSWORD))$"
)


def child_env(extra: Mapping[str, str] | None = None, *, drop_prefixes: Iterable[str] = ()) -> dict[str, str]:
    """os.environ without credentials (and without variables starting with `drop_prefixes`)."""
    prefixes = tuple(drop_prefixes)
    oidc_var = os.environ.get("SHIPYARD_OIDC_TOKEN_VAR")  # GitLab's id_tokens variable, if renamed
    env = {
        k: v
        for k, v in os.environ.items()
        if not _CREDENTIAL.match(k) and not (prefixes and k.startswith(prefixes)) and k != oidc_var
    }
    env.update(extra or {})
    return env


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})


def isolated_installer_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """For installs that must prove what one index serves: no pip or uv configuration leaks in,
    and no proxy variable but those in `extra` (the index's decision: index.transport.installer_proxy)."""
    env = {
        k: v for k, v in child_env(drop_prefixes=("PIP_", "UV_")).items() if k.lower() not in _PROXY_VARIABLES
    }
    env.update(extra or {})
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    return env
