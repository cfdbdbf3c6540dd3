"""[tool.shipyard] in pyproject.toml + SHIPYARD_* environment + command-line flags -> one frozen Config.

The options are declared in shipyard.options (key, kind, default, meaning), each kind is read by
shipyard.readers,
and each option fills the Config field of its name. Precedence: flag > environment > file > default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shipyard import readers
from shipyard.errors import ConfigError, did_you_mean
from shipyard.options import OPTIONS, Option
from shipyard.tools import layouts, procenv, pypirc
from shipyard.tools.network import Network
from shipyard.tools.tomlread import tomllib

__all__ = [
    "PUBLIC_HOSTS",
    "REPOSITORY_KEYS",
    "SHIPYARD_TOML",
    "Config",
    "Repository",
    "builtin_repositories",
    "from_table",
    "load",
    "read_pyproject",
    "repository_for_url",
    "repository_from_table",
    "setup_py_only",
    "table_at",
]

PUBLIC_HOSTS = frozenset({"pypi.org", "upload.pypi.org", "test.pypi.org"})


@dataclass(frozen=True)
class Repository:
    """A package index we can publish to: a server speaking the upload API, or the local folder."""

    name: str
    upload_url: str
    simple_url: str
    public: bool = False  # PyPI-like: refuses local versions (+...)
    needs_auth: bool = True
    local_path: Path | None = None  # set for the embedded file index
    oidc_url: str | None = None  # where /_/oidc/ lives, if not on the upload host (trusted publishing)
    cert: Path | None = None  # a CA bundle to trust for this index (--cert wins over it)
    client_cert: Path | None = None  # certificate and key in one PEM (--client-cert wins over it)

    @property
    def is_local(self) -> bool:
        return self.local_path is not None


@dataclass(frozen=True)
class Config:
    """One field per option of shipyard.options, by its name (the network options make `network`)."""

    root: Path
    repositories: Mapping[str, Repository]
    stages: tuple[str, ...]
    tag: str
    dist_dir: Path
    local_index: Path
    test_install: bool
    test_group: str
    test_requirements_file: Path | None
    verify_install: bool
    verify_timeout: float
    allow_unverified: bool
    allow_files: tuple[str, ...]
    allow_lower: bool
    version_source: str
    commit_parser: str
    major_on_zero: bool
    changelog: Path | None
    version_files: tuple[tuple[str, str], ...]  # (path inside the project, assigned name)
    remote: str
    pass_env: tuple[str, ...]
    forge_release: bool
    jobs: int
    lock_timeout: float
    attest: bool
    attestations: bool
    publisher: str
    require_provenance: bool
    network: Network
    pypirc: tuple[Path, ...] = ()  # the .pypirc files that may declare more repositories by name

    def repository(self, name: str) -> Repository:
        """The repository `name`: built in, declared in [tool.shipyard.repositories], else in .pypirc."""
        if name in self.repositories:
            return self.repositories[name]
        servers = pypirc.servers(self.pypirc)
        if name in servers:
            return _from_pypirc(servers[name])
        names = sorted({*self.repositories, *servers})
        raise ConfigError(
            f"unknown repository '{name}'{did_you_mean(name, names)} (known: {', '.join(names)}); "
            "declare it under "
            f"[tool.shipyard.repositories.{name}] with upload-url and simple-url, or in .pypirc "
            f"([distutils] index-servers = {name}, and [{name}] repository = URL)"
        )


REPOSITORY_KEYS = frozenset({"upload-url", "simple-url", "public", "auth", "oidc-url", "cert", "client-cert"})
SHIPYARD_TOML = "shipyard.toml"  # the options of a project with no pyproject.toml, as top-level keys


def setup_py_only(root: Path) -> bool:
    """A setuptools project with no pyproject.toml (pip and build use setuptools' legacy backend)."""
    return not (root / "pyproject.toml").exists() and (root / "setup.py").is_file()


def table_at(data: Mapping[str, object], *keys: str) -> Mapping[str, object]:
    """The table at `keys` under `data` (a TOML document); empty where one of them is missing or is
    not a table."""
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def read_pyproject(root: Path) -> dict[str, object]:
    """pyproject.toml's tables; none for a setup.py-only project (its options are in shipyard.toml)."""
    path = root / "pyproject.toml"
    if setup_py_only(root):
        return {}
    try:
        with path.open("rb") as f:
            data: dict[str, object] = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml or setup.py in {root}: run shipyard inside a Python project"
        ) from None
    except NotADirectoryError:
        raise ConfigError(f"{root} is not a folder: pass the project folder with -C PATH") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}: fix the file there") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text (TOML must be): save it as UTF-8") from None
    except IsADirectoryError:
        raise ConfigError(f"{path} is a folder, not a file: pyproject.toml must be a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    for table in ("project", "build-system", "tool"):
        if table in data and not isinstance(data[table], dict):
            raise ConfigError(f"[{table}] in {path} must be a table, not an array of tables: write [{table}]")
    return data


def load(
    root: Path,
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, object] | None = None,
    pyproject: Mapping[str, object] | None = None,
) -> Config:
    """Build the Config for the project at `root` (flags by option key, such as "verify-timeout")."""
    root = root.resolve()
    if pyproject is None and setup_py_only(root):
        table = _shipyard_toml(root / SHIPYARD_TOML)
        return from_table(root, table, environ=environ, flags=flags, where=SHIPYARD_TOML)
    data = read_pyproject(root) if pyproject is None else pyproject
    found = table_at(data, "tool").get("shipyard", {})
    if not isinstance(found, dict):
        raise ConfigError("[tool.shipyard] in pyproject.toml must be a table")
    return from_table(root, found, environ=environ, flags=flags)


def _shipyard_toml(path: Path) -> dict[str, object]:
    """shipyard.toml's options (none when there is no such file)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}: fix the file there") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path} as UTF-8 text: {exc}") from None


def from_table(
    root: Path,
    table: Mapping[str, object],
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, object] | None = None,
    where: str = "[tool.shipyard]",
    also_known: Collection[str] = (),
) -> Config:
    """The Config from an options table (`where` names it in errors; `also_known`: its keys that
    are its owner's, not options)."""
    root = root.resolve()
    files = () if environ is None else tuple(pypirc.paths(environ))  # none for a file's config alone
    # `ci` is the table of `shipyard ci init` (ci.generate.install reads it), `workspace` a root's
    # member globs (plan.workspace reads it)
    tables = ("repositories", "ci", "workspace")
    unknown = sorted(set(table) - set(OPTIONS) - {*tables, *also_known})
    if unknown:
        known = [*sorted(OPTIONS), *tables, *also_known]
        hint = did_you_mean(unknown[0], known)
        raise ConfigError(f"unknown key '{unknown[0]}' in {where}{hint} (known: {', '.join(known)})")
    environ = {} if environ is None else environ
    flags = {} if flags is None else flags
    values: dict[str, Any] = {}  # by Config field; each checked by its option's parser
    for option in OPTIONS.values():
        where, given = _given(option, flags, environ, table)
        values[option.field] = readers.parse(option, where, given, root)
    network = {o.field: values.pop(o.field) for o in OPTIONS.values() if o.network}
    repositories = builtin_repositories(values["local_index"])
    repositories.update(_declared(table.get("repositories", {}), root))
    procenv.pass_env(values["pass_env"])  # the children of this run see them (tools/procenv.py)
    return Config(root=root, repositories=repositories, network=Network(**network), pypirc=files, **values)


def _given(
    option: Option, flags: Mapping[str, object], environ: Mapping[str, str], table: Mapping[str, object]
) -> tuple[str, object]:
    """Where the option's value comes from (flag > environment > file > default), and the value."""
    if flags.get(option.key) is not None:
        return option.flag, flags[option.key]
    if environ.get(option.env):
        return option.env, environ[option.env]
    if option.key in table:
        return option.key, table[option.key]
    return option.key, option.default


def builtin_repositories(local_index: Path) -> dict[str, Repository]:
    return {
        "pypi": Repository(
            "pypi", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/", public=True
        ),
        "testpypi": Repository(
            "testpypi", "https://test.pypi.org/legacy/", "https://test.pypi.org/simple/", public=True
        ),
        "local": Repository(
            "local",
            local_index.as_uri(),
            (local_index / "simple").as_uri() + "/",
            needs_auth=False,
            local_path=local_index,
        ),
    }


def _declared(table: object, root: Path) -> dict[str, Repository]:
    if not isinstance(table, dict):
        raise ConfigError("[tool.shipyard.repositories] must be a table of repositories")
    return {name: repository_from_table(name, entry, root) for name, entry in table.items()}


def repository_from_table(name: str, entry: object, root: Path) -> Repository:
    where = f"[tool.shipyard.repositories.{name}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with upload-url and simple-url")
    unknown = sorted(set(entry) - REPOSITORY_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}' in {where}{did_you_mean(unknown[0], REPOSITORY_KEYS)} "
            f"(known: {', '.join(sorted(REPOSITORY_KEYS))})"
        )
    if "upload-url" not in entry:
        raise ConfigError(f"{where} needs upload-url (the index's upload endpoint)")
    repository = repository_for_url(
        name,
        entry["upload-url"],
        entry.get("simple-url"),
        public=entry.get("public"),
        auth=entry.get("auth", "required"),
        oidc_url=entry.get("oidc-url"),
        where=where,
        simple_key="simple-url",
    )
    cert, client = (
        entry.get(k) and (root / readers.as_str(f"{where} {k}", entry[k])).resolve() for k in _FILES
    )
    return dataclasses.replace(repository, cert=cert or None, client_cert=client or None)


_FILES = ("cert", "client-cert")  # a repository's TLS files, relative to the project


def _from_pypirc(server: pypirc.Server) -> Repository:
    """A repository a .pypirc declares (`simple_url` in its section if its URL says no layout)."""
    where = f"{server.path} [{server.name}]"
    if not server.url:
        raise ConfigError(f"{where} has no repository: add repository = URL (the index's upload URL)")
    found = repository_for_url(
        server.name, server.url, server.simple_url or None, where=where, simple_key="simple_url"
    )
    return dataclasses.replace(
        found, cert=server.tls_file("ca_cert"), client_cert=server.tls_file("client_cert")
    )


def repository_for_url(
    name: str,
    upload_url: object,
    simple_url: object = None,
    *,
    public: object = None,
    auth: object = "required",
    oidc_url: object = None,
    where: str = "--repository-url",
    simple_key: str = "--simple-url",
) -> Repository:
    """A repository from URLs (config table, .pypirc, or the one-off --repository-url); `where` names
    their source in errors, `simple_key` what gives the simple URL there."""
    upload = _http_url(upload_url, f"{where} upload-url")
    if simple_url is None:
        simple_url = layouts.simple_url(upload)
        if simple_url is None:
            raise ConfigError(
                f"{where} needs {simple_key}: the simple index URL of {upload} cannot be derived "
                f"(known layouts: {layouts.KNOWN}), and shipyard reads what the index serves "
                "before uploading"
            )
    simple = _http_url(simple_url, f"{where} simple-url")
    if not simple.endswith("/"):
        simple += "/"
    if auth not in ("required", "none"):
        raise ConfigError(f'{where} auth must be "required" or "none", not {auth!r}')
    if public is None:
        public = urlsplit(upload).hostname in PUBLIC_HOSTS
    return Repository(
        name,
        upload,
        simple,
        public=readers.as_bool(f"{where} public", public),
        needs_auth=auth == "required",
        oidc_url=None if oidc_url is None else _http_url(oidc_url, f"{where} oidc-url"),
    )


def _http_url(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} '{value}' is not an http(s) URL")
    if parts.password:
        raise ConfigError(f"{what} must not carry a password: use SHIPYARD_<NAME>_PASSWORD or a token")
    return value
