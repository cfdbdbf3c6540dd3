"""Trusted publishing: trade the CI's OIDC identity token for a short-lived upload token at the index.

The last credential source (DESIGN.md), used only inside GitHub Actions or GitLab CI. The index says
which audience it accepts (`GET /_/oidc/audience`), the CI issues a token (a JWT) for that audience,
and the index mints an API token from it (`POST /_/oidc/mint-token`), valid for minutes. The JWT
and the minted token are registered with the redactor the moment they arrive.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from shipyard.config import Repository
from shipyard.errors import CredentialError, IndexError_
from shipyard.index.base import TOKEN_USER, Credential, env_prefix
from shipyard.index.remote import read_timeout, session
from shipyard.secrets import Secret, register
from shipyard.tools import deadline

GITHUB = "GitHub Actions"
GITLAB = "GitLab CI"
GITLAB_DEFAULT_VAR = "PYPI_ID_TOKEN"
# GitLab: the name of the id_tokens variable, if not PYPI_ID_TOKEN (a name, not a secret)
TOKEN_VAR_OPTION = "SHIPYARD_OIDC_TOKEN_VAR"  # noqa: S105
DEADLINE = 60.0  # seconds for the whole exchange: the answers are a few hundred bytes


def provider(environ: Mapping[str, str]) -> str | None:
    """The CI we run in, if it is one that issues OIDC tokens."""
    if environ.get("GITHUB_ACTIONS") == "true":
        return GITHUB
    if environ.get("GITLAB_CI") == "true":
        return GITLAB
    return None


def oidc_base(repository: Repository) -> str:
    """`https://host/_/oidc/`: on the upload host (PyPI, TestPyPI), unless `oidc-url` says otherwise."""
    if repository.oidc_url:
        base = repository.oidc_url.rstrip("/")
        return base + "/" if base.endswith("/_/oidc") else base + "/_/oidc/"
    parts = urlsplit(repository.upload_url)
    return f"{parts.scheme}://{parts.netloc}/_/oidc/"


def exchange(repository: Repository, environ: Mapping[str, str], ci: str) -> Credential:
    """A `__token__` credential minted by the index from the CI's OIDC token; CredentialError if not.
    The whole exchange (three requests) has one deadline: a server that trickles cannot hold it."""
    with (
        deadline.within(DEADLINE, f"trusted publishing, {DEADLINE:g} s"),
        deadline.guarded(f"trusted publishing for '{repository.name}'"),
    ):
        return _exchange(repository, environ, ci)


def _exchange(repository: Repository, environ: Mapping[str, str], ci: str) -> Credential:
    http = session()
    base = oidc_base(repository)
    audience = _audience(http, base, repository)
    other = _other_ways(repository)
    jwt = (
        _github_jwt(http, environ, audience, other) if ci == GITHUB else _gitlab_jwt(environ, audience, other)
    )
    register(jwt)
    return Credential(
        TOKEN_USER,
        _mint(http, base, jwt, repository, ci),
        f"trusted publishing ({ci})",
        repository.upload_url,
    )


def _other_ways(repository: Repository) -> str:
    prefix = env_prefix(repository.name)
    return f"or set {prefix}TOKEN (or {prefix}USERNAME and {prefix}PASSWORD)"


def _audience(http: requests.Session, base: str, repository: Repository) -> str:
    url = base + "audience"
    resp = _call(http, "GET", url, repository)
    if resp.status_code == 404:
        raise CredentialError(
            f"no credential for repository '{repository.name}', and it offers no trusted publishing "
            f"({url} answered 404): {_other_ways(repository)}"
        )
    audience = _json(resp, url).get("audience")
    if resp.status_code != 200 or not isinstance(audience, str) or not audience:
        raise IndexError_(f"{url} gave no audience (HTTP {resp.status_code}): is oidc-url right?")
    return audience


def _github_jwt(http: requests.Session, environ: Mapping[str, str], audience: str, other: str) -> str:
    url, bearer = environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"), environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        raise CredentialError(
            "GitHub Actions gives this job no OIDC token for trusted publishing: "
            f"add `permissions: id-token: write` to the workflow job that publishes, {other}"
        )
    register(bearer)
    try:
        resp = http.get(
            url,
            params={"audience": audience},  # appended to the api-version query GitHub puts in the URL
            headers={"Authorization": f"bearer {bearer}", "Accept": "application/json"},
            timeout=read_timeout(http),
        )
    except requests.RequestException as exc:
        raise CredentialError(f"cannot get an OIDC token from GitHub Actions: {type(exc).__name__}") from None
    value = _json_object(resp).get("value")
    if resp.status_code != 200 or not isinstance(value, str) or not value:
        raise CredentialError(
            f"GitHub Actions refused an OIDC token for audience '{audience}' (HTTP {resp.status_code})"
        )
    return value


def _gitlab_jwt(environ: Mapping[str, str], audience: str, other: str) -> str:
    var = environ.get(TOKEN_VAR_OPTION) or GITLAB_DEFAULT_VAR
    jwt = environ.get(var)
    if not jwt:
        raise CredentialError(
            f"GitLab CI gives this job no OIDC token in ${var} for trusted publishing: add "
            f"`id_tokens: {var}: aud: {audience}` to the job that publishes, {other}"
        )
    return jwt


def _mint(http: requests.Session, base: str, jwt: str, repository: Repository, ci: str) -> Secret:
    url = base + "mint-token"
    resp = _call(http, "POST", url, repository, json={"token": jwt})
    body = _json(resp, url)
    if resp.status_code == 422 or (resp.status_code < 500 and body.get("errors")):
        raise CredentialError(
            f"{repository.name} refused trusted publishing from {ci} (HTTP {resp.status_code}): "
            f"{_describe(body.get('errors'))}; check the trusted publisher configured for this "
            "project on the index (repository, workflow or pipeline file, environment)"
        )
    token = body.get("token")
    if resp.status_code != 200 or not isinstance(token, str) or not token:
        raise IndexError_(f"{url} minted no token (HTTP {resp.status_code})")
    return Secret(token)


def _describe(errors: object) -> str:
    if not isinstance(errors, list) or not errors:
        return "no reason given"
    said = []
    for error in errors:
        if isinstance(error, dict):
            said.append(
                f"{error.get('code', 'error')}: {' '.join(str(error.get('description', '')).split())}"
            )
    return "; ".join(said) or "no reason given"


def _call(
    http: requests.Session, method: str, url: str, repository: Repository, json: dict[str, str] | None = None
) -> requests.Response:
    try:
        return http.request(
            method, url, headers={"Accept": "application/json"}, timeout=read_timeout(http), json=json
        )
    except requests.RequestException as exc:
        raise IndexError_(
            f"trusted publishing for '{repository.name}': cannot reach {url} ({type(exc).__name__})"
        ) from None


def _json(resp: requests.Response, url: str) -> dict[str, object]:
    if resp.status_code >= 500:
        raise IndexError_(f"trusted publishing: {url} failed (HTTP {resp.status_code} {resp.reason})")
    return _json_object(resp)


def _json_object(resp: requests.Response) -> dict[str, object]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
