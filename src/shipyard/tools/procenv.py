"""The environment handed to every child process: an allow-list, never a credential.

Children run code shipyard did not write: the build backend and its hooks, the project's tests,
git and its hooks, pip and uv. No list of credential names can know every name a user or a CI gives
a secret (`PROD_PYPI_TOKEN`, `MY_UPLOAD_KEY`), so a child gets only the variables of `ALLOWED` (what
programs need to run, and the tools' own documented knobs), plus those the user names in `pass-env`.
Whatever its name, a variable never passes when its value is a credential: one shipyard holds
(`secrets.held`) or one that looks like a token (`pypi-`, `ghp_`, `glpat-`, a JWT...). What a caller
adds on purpose (`extra`: SOURCE_DATE_EPOCH, the installer's index login) is its own decision.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from shipyard.secrets import held, register

# What a child may inherit: an exact name, or a prefix ending in `*`, and why a child needs it.
ALLOWED: dict[str, str] = {
    "PATH": "finding programs",
    "HOME": "the user's home (tools' config and caches)",
    "USER": "who runs",
    "LOGNAME": "who runs",
    "SHELL": "the user's shell",
    "LANG": "locale",
    "LANGUAGE": "locale",
    "LC_*": "locale",
    "TZ": "time zone",
    "TMPDIR": "temporary files",
    "TMP": "temporary files",
    "TEMP": "temporary files",
    "TERM": "terminal",
    "NO_COLOR": "terminal",
    "FORCE_COLOR": "terminal",
    "COLUMNS": "terminal",
    "XDG_*": "config and cache folders",
    "HTTP_PROXY": "proxy",
    "HTTPS_PROXY": "proxy",
    "ALL_PROXY": "proxy",
    "NO_PROXY": "proxy",
    "http_proxy": "proxy",
    "https_proxy": "proxy",
    "all_proxy": "proxy",
    "no_proxy": "proxy",
    "SSL_CERT_FILE": "CA bundle",
    "SSL_CERT_DIR": "CA bundle",
    "REQUESTS_CA_BUNDLE": "CA bundle",
    "CURL_CA_BUNDLE": "CA bundle",
    "PIP_*": "pip's settings (isolated installs drop them)",
    "UV_*": "uv's settings (isolated installs drop them)",
    "VIRTUAL_ENV": "the active virtual environment",
    "PYTHON*": "the interpreter's settings (PYTHONPATH, PYTHONHASHSEED, PYTHONUTF8...)",
    "PYTEST_ADDOPTS": "pytest's settings",
    "SOURCE_DATE_EPOCH": "reproducible builds",
    "SETUPTOOLS_*": "setuptools and setuptools-scm (SETUPTOOLS_SCM_PRETEND_VERSION...)",
    "HATCH_BUILD_*": "hatchling's build settings",
    "PDM_BUILD_*": "pdm-backend's build settings",
    "MATURIN_*": "maturin's settings",
    "SKBUILD_*": "scikit-build-core's settings",
    "CMAKE_*": "compiled extensions",
    "CARGO*": "compiled extensions (Rust)",
    "RUSTFLAGS": "compiled extensions (Rust)",
    "RUSTUP_*": "compiled extensions (Rust)",
    "CC": "compiled extensions",
    "CXX": "compiled extensions",
    "CFLAGS": "compiled extensions",
    "CXXFLAGS": "compiled extensions",
    "CPPFLAGS": "compiled extensions",
    "LDFLAGS": "compiled extensions",
    "LDSHARED": "compiled extensions",
    "AR": "compiled extensions",
    "ARCHFLAGS": "compiled extensions",
    "MACOSX_DEPLOYMENT_TARGET": "compiled extensions",
    "PKG_CONFIG*": "compiled extensions",
    "LD_LIBRARY_PATH": "shared libraries (auditwheel, compilers)",
    "LIBRARY_PATH": "compiled extensions",
    "CPATH": "compiled extensions",
    "GIT_*": "git's own settings (identity, ssh command, config, trace)",
    "CI": "CI markers some tools read",
    "GITHUB_ACTIONS": "CI marker",
    "GITLAB_CI": "CI marker",
    "TF_BUILD": "CI marker",
    "TRAVIS": "CI marker",
    "BUILDKITE": "CI marker",
    "CIRCLECI": "CI marker",
    # Windows: Python and compilers do not start without these
    "SYSTEMROOT": "Windows",
    "SYSTEMDRIVE": "Windows",
    "WINDIR": "Windows",
    "COMSPEC": "Windows",
    "PATHEXT": "Windows",
    "APPDATA": "Windows",
    "LOCALAPPDATA": "Windows",
    "USERPROFILE": "Windows",
    "PROGRAMDATA": "Windows",
    "PROGRAMFILES*": "Windows",
    "NUMBER_OF_PROCESSORS": "Windows",
    "PROCESSOR_*": "Windows",
}
_EXACT = frozenset(k for k in ALLOWED if not k.endswith("*"))
_PREFIXES = tuple(k[:-1] for k in ALLOWED if k.endswith("*"))
# a name inside an allowed family that still names a secret (UV_PUBLISH_TOKEN, UV_INDEX_X_PASSWORD,
# GIT_CONFIG_VALUE_0 aside: its value is checked like any other): only `pass-env` lets it through
_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|_KEY$|^UV_PUBLISH_", re.IGNORECASE)
# variables that are credentials by their name: their values are registered at a command's start
_CREDENTIAL = re.compile(
    r"^(SHIPYARD_.*_(TOKEN|PASSWORD)|TWINE_PASSWORD|UV_PUBLISH_(TOKEN|PASSWORD)|GITHUB_TOKEN|GH_TOKEN"
    r"|GITLAB_TOKEN|CI_JOB_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|.*_ID_TOKEN|PYPI_.*(TOKEN|PASSWORD))$"
)

_PROXIES = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"})
_PROXY_LOGIN = re.compile(r"://[^/@\s]*@")
_passed: frozenset[str] = frozenset()  # the `pass-env` option of this run


def pass_env(names: Iterable[str]) -> None:
    """The variables the user lets children see besides `ALLOWED` (option `pass-env`); a value
    that is a credential still never passes."""
    global _passed
    _passed = frozenset(names)


def register_credentials(environ: Mapping[str, str]) -> None:
    """Make every variable that is a credential by its name known to the redactor (and so kept
    from children by its value), before a command writes any text: the forge's token is one, used
    only at the end of a release, but a commit subject quoting it is written much earlier."""
    oidc_var = environ.get("SHIPYARD_OIDC_TOKEN_VAR")  # GitLab's id_tokens variable, if renamed
    for name, value in environ.items():
        if value and (_CREDENTIAL.match(name) or name == oidc_var):
            register(value)


def _allowed(name: str) -> bool:
    if name in _passed:
        return True
    if not (name in _EXACT or name.startswith(_PREFIXES)):
        return False
    return not _SECRET_NAME.search(name)


def _credential(name: str, value: str) -> bool:
    """Whether the value holds a credential. A proxy's own login is the network's setting, which
    the installers need to get anywhere (shipyard knows it only to mask it): the rest is checked."""
    if name.upper() in _PROXIES:
        value = _PROXY_LOGIN.sub("://", value)
    return held(value)


def child_env(extra: Mapping[str, str] | None = None, *, drop_prefixes: Iterable[str] = ()) -> dict[str, str]:
    """The allowed part of os.environ, without credential values (and without variables starting
    with `drop_prefixes`), plus the caller's `extra`."""
    prefixes = tuple(drop_prefixes)
    env = {
        k: v
        for k, v in os.environ.items()
        if _allowed(k) and not (prefixes and k.startswith(prefixes)) and not _credential(k, v)
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
