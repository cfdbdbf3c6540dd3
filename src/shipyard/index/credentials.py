"""Where the credential for a repository comes from, in DESIGN.md's order:

SHIPYARD_<NAME>_TOKEN or SHIPYARD_<NAME>_USERNAME/_PASSWORD, TWINE_USERNAME/TWINE_PASSWORD and
UV_PUBLISH_TOKEN or UV_PUBLISH_USERNAME/_PASSWORD (one target only), the project's `.env` (refused
if git tracks it), ~/.pypirc (or $SHIPYARD_PYPIRC; Azure's TwineAuthenticate writes one at
$PYPIRC_PATH), then keyring (twine's order: reading a file costs nothing, the keyring library
50-100 ms and its backends' waits; tools.keyrings), in GitHub Actions or GitLab CI trusted
publishing (index.oidc), and last what the caller's `ask` gets (the CLI's password prompt on a
terminal). A token means username __token__.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard import events
from shipyard.config import Repository
from shipyard.errors import CredentialError, ShipyardError
from shipyard.index import ci as oidc_ci
from shipyard.index.base import PUBLIC_INDEXES, TOKEN_USER, Credential, env_prefix, on_public_index
from shipyard.index.transport import no_clear_text_proxy
from shipyard.secrets import Secret, reliable
from shipyard.tools import git, keyrings, pypirc

if TYPE_CHECKING:
    from shipyard.index import minted

# asked for a username and password when no source has one (None: the user gave none)
Ask = Callable[[Repository], tuple[str, str] | None]


# twine's and uv's credentials, each with the variables that name its own tool's target
_TOOLS = {
    "twine": ("TWINE_REPOSITORY_URL", "TWINE_REPOSITORY"),
    "uv": ("UV_PUBLISH_URL",),
}


class _Lookup:
    """One resolution: the repository it is for, whether that is a one-off target (TWINE_* may
    serve it), the targets twine's and uv's variables name, and why a source that looked right was
    passed over (for the "no credential" error)."""

    def __init__(self, repository: Repository, one_off: bool, environ: Mapping[str, str]) -> None:
        self.repository, self.one_off = repository, one_off
        self.passed_over: list[str] = []
        self.targets = {
            tool: next(((v, environ[v]) for v in names if environ.get(v)), None)
            for tool, names in _TOOLS.items()
        }

    def is_target(self, tool: str) -> bool:
        """Whether `tool`'s variables name this repository (by URL, or TWINE_REPOSITORY by name)."""
        found = self.targets[tool]
        if found is None:
            return False
        variable, value = found
        if variable.endswith("_URL"):
            return value.rstrip("/") == self.repository.upload_url.rstrip("/")
        return value == self.repository.name

    def bound_elsewhere(self, tool: str, name: str, where: str) -> str:
        """Why `tool`'s credential `name` does not serve this repository ("" if it may): it binds to
        its own tool's target, and never stands in for the other tool's."""
        other = "uv" if tool == "twine" else "twine"
        found, theirs = self.targets[tool], self.targets[other]
        if found is not None and not self.is_target(tool):
            return f"{name}{where} is for {found[0]} ({found[1]}), not {self.repository.upload_url}"
        if found is None and theirs is not None and self.is_target(other):
            ours = "TWINE_USERNAME/TWINE_PASSWORD" if other == "twine" else "UV_PUBLISH_TOKEN"
            return f"{name}{where} is {tool}'s, and {theirs[0]} names {other}'s target: set {ours} for it"
        return ""

    def credential(self, username: str, password: str, source: str) -> Credential:
        return Credential(username, Secret(password), source, self.repository.upload_url)


def _from_mapping(values: Mapping[str, str | None], lookup: _Lookup, where: str) -> Credential | None:
    prefix = env_prefix(lookup.repository.name)
    _named_for_a_public_index(values, lookup.repository, where)
    if token := values.get(prefix + "TOKEN"):
        return lookup.credential(TOKEN_USER, token, f"{prefix}TOKEN{where}")
    user, password = values.get(prefix + "USERNAME"), values.get(prefix + "PASSWORD")
    if user and password:
        return lookup.credential(user, password, f"{prefix}USERNAME/PASSWORD{where}")
    if bool(user) != bool(password):
        missing = prefix + ("PASSWORD" if user else "USERNAME")
        raise CredentialError(
            f"{missing}{where} is not set (it goes with {prefix}{'USERNAME' if user else 'PASSWORD'})"
        )
    return _one_off(values, lookup, where)


def _named_for_a_public_index(values: Mapping[str, str | None], repository: Repository, where: str) -> None:
    """CredentialError if a credential named for PyPI (or TestPyPI) would go to another host: a
    project (or --repository-url) that calls another index `pypi` never gets SHIPYARD_PYPI_TOKEN."""
    if repository.name not in PUBLIC_INDEXES or on_public_index(repository.name, repository.upload_url):
        return
    prefix = env_prefix(repository.name)
    named = [prefix + k for k in ("TOKEN", "USERNAME", "PASSWORD") if values.get(prefix + k)]
    if not named:
        return
    public, _ = PUBLIC_INDEXES[repository.name]
    raise CredentialError(
        f"{named[0]}{where} is {public}'s credential, but repository '{repository.name}' here is "
        f"{repository.upload_url}: it is not sent there; give that index a name of its own and its "
        "credential under that name (--repository-url without --to: SHIPYARD_CUSTOM_TOKEN; "
        "[tool.shipyard.repositories.corp]: SHIPYARD_CORP_TOKEN)"
    )


def _one_off(values: Mapping[str, str | None], lookup: _Lookup, where: str) -> Credential | None:
    """twine's and uv's variables, which name no repository: for the command's one target only."""
    offered = [
        ("twine", "TWINE_PASSWORD", values.get("TWINE_USERNAME"), values.get("TWINE_PASSWORD")),
        ("uv", "UV_PUBLISH_TOKEN", TOKEN_USER, values.get("UV_PUBLISH_TOKEN")),
        ("uv", "UV_PUBLISH_PASSWORD", values.get("UV_PUBLISH_USERNAME"), values.get("UV_PUBLISH_PASSWORD")),
    ]
    for tool, name, user, password in offered:
        if not password:
            continue
        if not lookup.one_off:  # one token offered to every stage's host is how it goes astray
            lookup.passed_over.append(
                f"{name}{where} is used only for one target (publish, or a one-stage release), "
                "not for the stages of a multi-stage release"
            )
            return None
        if why := lookup.bound_elsewhere(tool, name, where):
            lookup.passed_over.append(why)
            continue
        return lookup.credential(user or TOKEN_USER, password, f"{name}{where}")
    return None


def guard_dotenv(root: Path) -> None:
    """CredentialError if the project's `.env` is committed, or is a link to a tracked file or to a
    file outside the project: publishing from such a tree helps the leak, wherever the credentials
    of this run come from."""
    path = root / ".env"
    if git.is_tracked(path):
        raise CredentialError(
            f"{path} is tracked by git: remove it (git rm --cached .env), add it to .gitignore, "
            "and rotate the credentials it holds"
        )
    if not path.is_symlink():
        return
    target = path.resolve()
    fix = "replace the link with a plain, untracked .env (or set the variables in the environment)"
    if not target.is_relative_to(root.resolve()):
        raise CredentialError(f"{path} is a link to {target}, outside the project: {fix}")
    if git.is_tracked(target):
        raise CredentialError(
            f"{path} is a link to {target}, which git tracks: {fix}, and rotate the credentials "
            f"{target.name} holds (git rm --cached it)"
        )


def _from_dotenv(root: Path, lookup: _Lookup) -> Credential | None:
    path = root / ".env"
    guard_dotenv(root)
    if not path.is_file():
        return None
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path)
    except UnicodeDecodeError:
        raise CredentialError(f"{path} is not UTF-8 text: save it as UTF-8") from None
    except OSError as exc:
        raise CredentialError(f"{path} cannot be read ({exc.strerror}): fix or remove it") from None
    return _from_mapping(values, lookup, " in .env")


def _from_keyring(lookup: _Lookup) -> Credential | None:
    found = keyrings.get(lookup.repository.upload_url)
    if found is None:
        return None
    username, password = found
    return lookup.credential(username or TOKEN_USER, password, "keyring")


def _from_pypirc(lookup: _Lookup, environ: Mapping[str, str]) -> Credential | None:
    for path in pypirc.paths(environ):
        if found := _from_pypirc_file(lookup, path):
            return found
    return None


def _from_pypirc_file(lookup: _Lookup, path: Path) -> Credential | None:
    """The credential of the section declared for the repository's upload URL (twine's rule: by its
    `repository`, PyPI's URL for [pypi] without one): a section named like the repository but
    declared for another URL is passed over, so an overridden `pypi` never gets the real token."""
    parser = pypirc.read(path)
    repository = lookup.repository
    ours = repository.upload_url.rstrip("/")
    for section in parser.sections():
        url = parser.get(section, "repository", fallback="") or pypirc.DEFAULTS.get(section, "")
        password = parser.get(section, "password", fallback="")
        if not password or not (url.rstrip("/") == ours or section == repository.name):
            continue
        if url.rstrip("/") != ours:
            lookup.passed_over.append(
                f"{path} [{section}] is for {url or 'no repository URL'}, not {repository.upload_url}"
            )
            continue
        user = parser.get(section, "username", fallback=TOKEN_USER)
        return Credential(user, Secret(password), f"{path} [{section}]", url)
    return None


def resolve(
    repository: Repository,
    root: Path,
    environ: Mapping[str, str],
    *,
    one_off: bool = False,
    ask: Ask | None = None,
    emit: events.Emit = events.ignore,
) -> Credential | minted.MintedToken | None:
    """The credential for `repository`, None if it needs none; CredentialError if it is missing.
    Trusted publishing's is a MintedToken: checked here, minted when the stage first uploads.
    `one_off`: the command's one target (publish, verify), which TWINE_* and UV_PUBLISH_* may serve
    (each only where its own tool's variables do not name another target).
    `ask`: the last resort, outside CI (its trusted publishing is tried instead). A proxy that would
    read any credential on its way is refused first, before any request (trusted publishing's too)."""
    if not repository.needs_auth:
        return None
    no_clear_text_proxy(repository)
    lookup = _Lookup(repository, one_off, environ)
    everywhere = {**os.environ, **environ}
    found = (
        _from_mapping(environ, lookup, "")
        or _from_dotenv(root, lookup)
        or _from_pypirc(lookup, everywhere)
        or _from_keyring(lookup)
    )
    if found is not None:
        return found
    if ci := oidc_ci.provider(environ):  # checked now, minted at the stage's first upload
        from shipyard.index import minted  # the OIDC exchange (index.oidc, `id`): only in such a CI

        return minted.prepare(repository, environ, ci, emit)
    if ask is not None and (given := ask(repository)) is not None:
        return lookup.credential(*given, "the password prompt")
    raise CredentialError(_none_found(lookup, everywhere, asked=ask is not None))


def _none_found(lookup: _Lookup, environ: Mapping[str, str], *, asked: bool) -> str:
    """Every source looked at, and why one that looked right was passed over."""
    repository = lookup.repository
    prefix = env_prefix(repository.name)
    one_off = "TWINE_USERNAME/TWINE_PASSWORD, UV_PUBLISH_TOKEN, UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD"
    looked = [
        f"{prefix}TOKEN, {prefix}USERNAME/{prefix}PASSWORD"
        + (f", {one_off}" if lookup.one_off else "")
        + " (environment and .env)",
        " and ".join(str(p) for p in pypirc.paths(environ)),
        f"keyring ({repository.upload_url})" if keyrings.how() else f"keyring ({keyrings.MISSING})",
        "trusted publishing (GitHub Actions, GitLab CI: not this run)",
        "the password prompt (none given)"
        if asked
        else "no password prompt (publish and verify ask on a terminal, outside CI)",
    ]
    why = "".join(f"; {note}" for note in lookup.passed_over)
    return (
        f"no credential for repository '{repository.name}': set {prefix}TOKEN "
        f"(or {prefix}USERNAME and {prefix}PASSWORD) in the environment or in .env{why}; "
        f"looked at: {'; '.join(looked)} (shipyard takes no credential as a flag: the process "
        "list would show it)"
    )


def for_reading(
    repository: Repository, root: Path, environ: Mapping[str, str]
) -> Credential | minted.MintedToken | None:
    """The credential if one resolves, else None: most indexes list their projects anonymously."""
    try:
        return resolve(repository, root, environ)
    except ShipyardError:
        return None


def for_stages(
    repositories: Sequence[Repository], root: Path, environ: Mapping[str, str], emit: events.Emit
) -> list[Credential | minted.MintedToken | None]:
    """Every stage's credential, resolved (and so known to the redactor) before a release writes any
    text: its notes, CHANGELOG, commit and tag may quote a commit subject holding a token (a minted
    token does not exist before its stage, so none can quote it; the id token is known). A value
    too short to tell apart from ordinary output is named by its source (never its value)."""
    guard_dotenv(root)
    one_off = len(repositories) == 1  # several stages: TWINE_* would go to every one of them
    found = [resolve(r, root, environ, one_off=one_off, emit=emit) for r in repositories]
    for repository, cred in zip(repositories, found, strict=True):
        warn_if_short(repository, cred, emit)
    return found


def warn_if_short(
    repository: Repository, cred: Credential | minted.MintedToken | None, emit: events.Emit
) -> None:
    """A warning naming the source (never the value) of a credential too short to mask reliably."""
    if isinstance(cred, Credential) and not reliable(cred.password.reveal()):
        events.warning(
            emit,
            f"the credential for {repository.name} from {cred.source} is too short to be masked "
            "reliably in output: use a long token",
        )
