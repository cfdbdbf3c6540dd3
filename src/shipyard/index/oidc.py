"""Trusted publishing: trade the CI's OIDC identity token for a short-lived upload token at the index.

The last credential source (DESIGN.md), used only inside a CI that issues OIDC tokens (GitHub
Actions, GitLab CI, Buildkite, CircleCI, Google Cloud). The index says which audience it accepts
(`GET /_/oidc/audience`), the CI issues a token (a JWT) for that audience, fetched by `id` (what
twine and the PyPA's publish action use; on GitLab one id token per audience, `<AUD>_ID_TOKEN`),
and the index mints an API token from it (`POST /_/oidc/mint-token`), valid for minutes, and burns
it when asked (`POST /_/oidc/burn-token`). `early_check` runs before the build, `mint` at the stage's
first upload and `burn` after the stage (index.minted holds the token between them). The JWT and
the minted token are registered with the redactor the moment they arrive.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests

from shipyard import events
from shipyard.config import Repository
from shipyard.errors import CredentialError, IndexError_, ShipyardError
from shipyard.index.base import PUBLIC_INDEXES, TOKEN_USER, Credential, env_prefix, on_public_index
from shipyard.index.ci import GITLAB
from shipyard.index.transport import no_clear_text_proxy, read_timeout, session, transport
from shipyard.secrets import Secret, register
from shipyard.shown import shown
from shipyard.tools import deadline
from shipyard.tools.network import Network

# GitLab: the variable holding the id token, if not the one `id` reads (<AUDIENCE>_ID_TOKEN)
TOKEN_VAR_OPTION = "SHIPYARD_OIDC_TOKEN_VAR"  # noqa: S105 (a name, not a secret)
DEADLINE = 60.0  # seconds for the whole exchange: the answers are a few hundred bytes


def gitlab_token_var(audience: str) -> str:
    """The variable `id` reads GitLab's id token for `audience` from: `pypi` -> PYPI_ID_TOKEN."""
    return re.sub(r"[^A-Z0-9_]|^[^A-Z_]", "_", audience.upper()) + "_ID_TOKEN"


def oidc_base(repository: Repository) -> str:
    """`https://host/_/oidc/`: on the upload host (PyPI, TestPyPI), unless `oidc-url` says otherwise."""
    if repository.oidc_url:
        base = repository.oidc_url.rstrip("/")
        return base + "/" if base.endswith("/_/oidc") else base + "/_/oidc/"
    parts = urlsplit(repository.upload_url)
    return f"{parts.scheme}://{parts.netloc}/_/oidc/"


def early_check(
    repository: Repository, environ: Mapping[str, str], ci: str, emit: events.Emit = events.ignore
) -> str:
    """The audience the index asks for, once the CI has shown it gives an id token for it (and the
    token and its audience may go where they would go); CredentialError if not. Before the build:
    a credential that cannot be had stops the release before anything is built. No upload token is
    minted here: it would run out during a slow build or test-install (`mint`, at the first upload)."""
    base = oidc_base(repository)
    _no_clear_text(repository, base)
    with (
        deadline.within(DEADLINE, f"trusted publishing, {DEADLINE:g} s"),
        deadline.guarded(f"trusted publishing for '{repository.name}'"),
    ):
        http = _session(repository, environ)
        audience = _audience(http, base, repository)
        check_audience(audience, base, repository)
        _identity(repository, environ, audience, ci, base)
    return audience


def mint(
    repository: Repository, environ: Mapping[str, str], ci: str, audience: str, emit: events.Emit
) -> tuple[Credential, float | None]:
    """A `__token__` credential minted now from a fresh id token, and when it runs out (the mint's
    `expires`, seconds since the epoch; None if the index does not say). Two requests (the CI's, the
    mint) under one deadline: a server that trickles cannot hold it."""
    base = oidc_base(repository)
    _no_clear_text(repository, base)
    with (
        deadline.within(DEADLINE, f"trusted publishing, {DEADLINE:g} s"),
        deadline.guarded(f"trusted publishing for '{repository.name}'"),
    ):
        http = _session(repository, environ)
        jwt = _identity(repository, environ, audience, ci, base)  # an index takes an id token once
        events.info(
            emit,
            f"trusted publishing for {repository.name}: an OIDC id token from {ci} for audience "
            f"'{audience}', traded at {base}mint-token",
            audience=audience,
        )
        token, expires = _mint(http, base, jwt, repository, ci)
    cred = Credential(TOKEN_USER, token, f"trusted publishing ({ci})", repository.upload_url, trusted=ci)
    return cred, expires


def burn(repository: Repository, environ: Mapping[str, str], token: Secret, emit: events.Emit) -> None:
    """Revoke a minted token at the index that minted it (`POST <oidc>/burn-token {"token": ...}`,
    warehouse#20197, which answers 202 whatever it did). An index without the endpoint (404) is
    silent; any other failure is a warning: the token runs out by itself, the release stands."""
    url = oidc_base(repository) + "burn-token"
    try:
        with (
            deadline.within(DEADLINE, f"burning the upload token, {DEADLINE:g} s"),
            deadline.guarded(f"burning the upload token of '{repository.name}'"),
        ):
            http = _session(repository, environ)
            resp = _call(http, "POST", url, repository, json={"token": token.reveal()})
    except ShipyardError as exc:
        said = f"the upload token of {repository.name} was not burnt: {exc.message}; it runs out by itself"
        events.warning(emit, said)
        return
    if resp.status_code == 404:
        return
    if not 200 <= resp.status_code < 300:
        events.warning(
            emit,
            f"the upload token of {repository.name} was not burnt: {url} answered HTTP "
            f"{resp.status_code}; it runs out by itself",
        )
        return
    events.info(emit, f"the upload token minted for {repository.name} is burnt (revoked at {url})")


def _session(repository: Repository, environ: Mapping[str, str]) -> requests.Session:
    http = session()
    tls = transport(repository, Network(), environ)  # the index's CA (its cert key, REQUESTS_CA_BUNDLE...)
    http.verify, http.cert = tls.verify, tls.cert
    return http


def _identity(repository: Repository, environ: Mapping[str, str], audience: str, ci: str, base: str) -> str:
    """The CI's id token for `audience`, each audience it claims checked against where it goes."""
    jwt = ambient_token(environ, audience, ci, _other_ways(repository))
    for claimed in _claimed_audiences(jwt):  # every audience it claims (a named variable's may list more)
        check_audience(claimed, base, repository)
    return jwt


def _no_clear_text(repository: Repository, base: str) -> None:
    """ConfigError, before any request, if the id token (to the mint) or the minted token (to the
    upload URL) would pass a proxy in clear text. (`id` fetches GitHub's token without a proxy.)"""
    no_clear_text_proxy(repository, "the minted upload token")
    no_clear_text_proxy(repository, "the OIDC id token (trusted publishing)", base + "mint-token")


def public_audience(audience: str) -> str | None:
    """The public index (`pypi`, `testpypi`) whose audience `audience` is, also as GitLab's variable
    would read it (`PyPI` and `pypi` are both PYPI_ID_TOKEN); None for any other audience."""
    return next((n for n in PUBLIC_INDEXES if gitlab_token_var(n) == gitlab_token_var(audience)), None)


def check_audience(audience: str, base: str, repository: Repository) -> None:
    """CredentialError, before any token is asked for, if `audience` is a public index's and the id
    token (to the mint at `base`) or the token minted from it (to the upload URL) would go to another
    host: whoever runs that host could trade it at the public index for an upload token there."""
    public = public_audience(audience)
    if public is None:
        return
    astray = [u for u in (base, repository.upload_url) if not on_public_index(public, u)]
    if not astray:
        return
    name, hosts = PUBLIC_INDEXES[public]
    raise CredentialError(
        f"repository '{repository.name}' asks for an OIDC id token for audience '{audience}', which "
        f"is {name}'s, to send to {astray[0]}: an id token for {name} goes only to "
        f"{' or '.join(sorted(hosts))} over https (nothing was sent); an index of your own must name "
        f"an audience of its own, or give '{repository.name}' a token ({env_prefix(repository.name)}TOKEN)"
    )


def _claimed_audiences(jwt: str) -> list[str]:
    """The `aud` claim of an id token, read (not verified: the index verifies it) with `id`."""
    import id as ambient  # the PyPA's ambient-credential library: only in CI, when a token is asked

    try:
        claims = json.loads(ambient.decode_oidc_token(jwt)[1])
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return []
    aud = claims.get("aud") if isinstance(claims, dict) else None
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return [aud] if isinstance(aud, str) else []


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


def ambient_token(environ: Mapping[str, str], audience: str, ci: str, other: str = "") -> str:
    """The CI's OIDC token for `audience`, through `id` (which reads the process environment);
    registered with the redactor. CredentialError, in shipyard's words, if the CI gives none."""
    tail = f", {other}" if other else ""
    if ci == GITLAB and (var := environ.get(TOKEN_VAR_OPTION)):
        jwt = environ.get(var)  # a renamed id_tokens variable: read as named
        if not jwt:
            raise CredentialError(
                f"GitLab CI gives this job no OIDC token in ${var} for trusted publishing: add "
                f"`id_tokens: {var}: aud: {audience}` to the job that publishes{tail}"
            )
        register(jwt)
        if audience not in (claimed := _claimed_audiences(jwt)):  # `id` checks its own tokens so
            raise CredentialError(
                f"the OIDC token in ${var} is for audience {', '.join(claimed) or 'none'}, not "
                f"'{audience}': it is not sent; give ${var} the `aud: {audience}` id token{tail}"
            )
        return jwt
    if bearer := environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        register(bearer)  # `id` may quote the request in an error
    import id as ambient

    try:
        jwt = ambient.detect_credential(audience=audience)
    except ambient.GitHubOidcPermissionCredentialError:
        raise CredentialError(
            "GitHub Actions gives this job no OIDC token for trusted publishing: "
            f"add `permissions: id-token: write` to the workflow job that publishes{tail}"
        ) from None
    except ambient.AmbientCredentialError as exc:
        if ci == GITLAB and not environ.get(var := gitlab_token_var(audience)):
            raise CredentialError(
                f"GitLab CI gives this job no OIDC token in ${var} for trusted publishing: add "
                f"`id_tokens: {var}: aud: {audience}` to the job that publishes{tail}"
            ) from None
        raise CredentialError(f"no usable OIDC token from {ci} for audience '{audience}': {exc}") from None
    if not jwt:
        raise CredentialError(f"{ci} gives this job no OIDC token for audience '{audience}'{tail}")
    register(jwt)
    return jwt


def _mint(
    http: requests.Session, base: str, jwt: str, repository: Repository, ci: str
) -> tuple[Secret, float | None]:
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
    expires = body.get("expires")
    return Secret(token), float(expires) if isinstance(expires, int | float) else None


def _describe(errors: object) -> str:
    if not isinstance(errors, list) or not errors:
        return "no reason given"
    said = []
    for error in errors:
        if isinstance(error, dict):
            said.append(
                f"{error.get('code', 'error')}: {' '.join(str(error.get('description', '')).split())}"
            )
    return shown("; ".join(said)) or "no reason given"  # the index's words reach a terminal


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
