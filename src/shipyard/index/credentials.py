"""Where the credential for a repository comes from, in DESIGN.md's order:

SHIPYARD_<NAME>_TOKEN or SHIPYARD_<NAME>_USERNAME/_PASSWORD, TWINE_USERNAME/TWINE_PASSWORD, the
project's `.env` (refused if git tracks it), keyring, ~/.pypirc (or $SHIPYARD_PYPIRC; Azure's
TwineAuthenticate writes one at $PYPIRC_PATH), and, in GitHub Actions or GitLab CI, trusted
publishing (index.oidc). A token means username __token__.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from shipyard import events
from shipyard.config import Repository
from shipyard.errors import CredentialError, ShipyardError
from shipyard.index import oidc
from shipyard.index.base import TOKEN_USER, Credential, env_prefix
from shipyard.secrets import Secret, reliable
from shipyard.tools import git


def _from_mapping(values: Mapping[str, str | None], repo: str, where: str) -> Credential | None:
    prefix = env_prefix(repo)
    if token := values.get(prefix + "TOKEN"):
        return Credential(TOKEN_USER, Secret(token), f"{prefix}TOKEN{where}")
    user, password = values.get(prefix + "USERNAME"), values.get(prefix + "PASSWORD")
    if user and password:
        return Credential(user, Secret(password), f"{prefix}USERNAME/PASSWORD{where}")
    if bool(user) != bool(password):
        missing = prefix + ("PASSWORD" if user else "USERNAME")
        raise CredentialError(
            f"{missing}{where} is not set (it goes with {prefix}{'USERNAME' if user else 'PASSWORD'})"
        )
    if password := values.get("TWINE_PASSWORD"):
        return Credential(
            values.get("TWINE_USERNAME") or TOKEN_USER, Secret(password), f"TWINE_PASSWORD{where}"
        )
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


def _from_dotenv(root: Path, repo: str) -> Credential | None:
    path = root / ".env"
    guard_dotenv(root)
    if not path.is_file():
        return None
    from dotenv import dotenv_values

    return _from_mapping(dotenv_values(path), repo, " in .env")


def _from_keyring(repository: Repository) -> Credential | None:
    try:
        import keyring  # 50-100 ms to import, and it may fail to load: only when it is asked

        found = keyring.get_credential(repository.upload_url, None)
    except Exception:
        return None
    if found is None or not found.password:
        return None
    return Credential(found.username or TOKEN_USER, Secret(found.password), "keyring")


def pypirc_paths(environ: Mapping[str, str]) -> list[Path]:
    """SHIPYARD_PYPIRC alone if set; else Azure's TwineAuthenticate file ($PYPIRC_PATH), then ~/.pypirc."""
    if chosen := environ.get("SHIPYARD_PYPIRC"):
        return [Path(chosen)]
    azure = [Path(environ["PYPIRC_PATH"])] if environ.get("PYPIRC_PATH") else []
    return [*azure, Path.home() / ".pypirc"]


def _from_pypirc(repository: Repository, environ: Mapping[str, str]) -> Credential | None:
    for path in pypirc_paths(environ):
        if found := _from_pypirc_file(repository, path):
            return found
    return None


def _from_pypirc_file(repository: Repository, path: Path) -> Credential | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        raise CredentialError(f"{path} cannot be parsed: fix or remove it") from None
    for section in parser.sections():
        url = parser.get(section, "repository", fallback="")
        if section == repository.name or url.rstrip("/") == repository.upload_url.rstrip("/"):
            password = parser.get(section, "password", fallback="")
            if password:
                user = parser.get(section, "username", fallback=TOKEN_USER)
                return Credential(user, Secret(password), f"{path} [{section}]")
    return None


def resolve(repository: Repository, root: Path, environ: Mapping[str, str]) -> Credential | None:
    """The credential for `repository`, None if it needs none; CredentialError if it is missing."""
    if not repository.needs_auth:
        return None
    found = (
        _from_mapping(environ, repository.name, "")
        or _from_dotenv(root, repository.name)
        or _from_keyring(repository)
        or _from_pypirc(repository, {**os.environ, **environ})
    )
    if found is None:
        if ci := oidc.provider(environ):
            return oidc.exchange(repository, environ, ci)
        prefix = env_prefix(repository.name)
        raise CredentialError(
            f"no credential for repository '{repository.name}': set {prefix}TOKEN "
            f"(or {prefix}USERNAME and {prefix}PASSWORD) in the environment or in .env"
        )
    return found


def for_reading(repository: Repository, root: Path, environ: Mapping[str, str]) -> Credential | None:
    """The credential if one resolves, else None: most indexes list their projects anonymously."""
    try:
        return resolve(repository, root, environ)
    except ShipyardError:
        return None


def for_stages(
    repositories: Sequence[Repository], root: Path, environ: Mapping[str, str], emit: events.Emit
) -> list[Credential | None]:
    """Every stage's credential, resolved (and so known to the redactor) before a release writes any
    text: its notes, CHANGELOG, commit and tag may quote a commit subject holding a token. A value
    too short to tell apart from ordinary output is named by its source (never its value)."""
    guard_dotenv(root)
    found = [resolve(r, root, environ) for r in repositories]
    for repository, cred in zip(repositories, found, strict=True):
        if cred is not None and not reliable(cred.password.reveal()):
            events.warning(
                emit,
                f"the credential for {repository.name} from {cred.source} is too short to be masked "
                "reliably in output: use a long token",
            )
    return found
