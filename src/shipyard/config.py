"""[tool.shipyard] in pyproject.toml + SHIPYARD_* environment + command-line flags -> one frozen Config.

The options are declared in shipyard.options (key, kind, default, meaning); here each kind is parsed,
and each option fills the Config field of its name. Precedence: flag > environment > file > default.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shipyard.errors import ConfigError
from shipyard.options import OPTIONS, Kind, Option
from shipyard.plan.versions import TagPattern
from shipyard.tools.network import Network
from shipyard.tools.tomlread import tomllib

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
    verify_install: bool
    verify_timeout: float
    allow_unverified: bool
    allow_files: tuple[str, ...]
    allow_lower: bool
    version_source: str
    commit_parser: str
    major_on_zero: bool
    changelog: Path | None
    remote: str
    lock_timeout: float
    attest: bool
    attestations: bool
    publisher: str
    require_provenance: bool
    network: Network

    def repository(self, name: str) -> Repository:
        try:
            return self.repositories[name]
        except KeyError:
            known = ", ".join(sorted(self.repositories))
            raise ConfigError(
                f"unknown repository '{name}' (known: {known}); declare it under "
                f"[tool.shipyard.repositories.{name}] with upload-url and simple-url"
            ) from None


def _as_bool(option: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"option '{option}' must be true or false, not '{value}'")


def _as_stages(option: str, value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of repository names")
    stages = tuple(i.strip() for i in items if i.strip())
    if not stages:
        raise ConfigError(f"option '{option}' names no repository: list at least one, such as \"local\"")
    return stages


def _as_patterns(option: str, value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of paths or globs inside a dist")
    return tuple(i.strip().lstrip("/") for i in items if i.strip())


def _as_tag(option: str, value: object) -> str:
    if not isinstance(value, str) or "{version}" not in value:
        raise ConfigError(f"option '{option}' must be a pattern containing {{version}}, not {value!r}")
    return TagPattern(value).pattern


def _choice(option: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"option '{option}' must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _as_optional_path(option: str, value: object) -> str:
    """A path, or "" / false to switch the feature off."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("", "false", "off", "no")):
        return ""
    return _as_str(option, value)


def _as_float(option: str, value: object) -> float:
    try:
        if not isinstance(value, int | float | str):
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{option}' must be a number of seconds, not '{value}'") from None
    if not math.isfinite(number):  # nan compares false with everything: a poll that never ends
        raise ConfigError(f"option '{option}' must be a finite number of seconds, not '{value}'")
    if number < 0:
        raise ConfigError(f"option '{option}' must not be negative")
    return number


def _as_count(option: str, value: object) -> int:
    try:
        if not isinstance(value, int | float | str):
            raise TypeError(value)
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{option}' must be a whole number, not '{value}'") from None
    if number < 0 or isinstance(value, bool) or (isinstance(value, float) and value != number):
        raise ConfigError(f"option '{option}' must be a whole number of at least 0, not '{value}'")
    return number


def _as_positive(option: str, value: object) -> float:
    number = _as_float(option, value)
    if number == 0:
        raise ConfigError(f"option '{option}' must be more than 0 seconds")
    return number


def _as_str(option: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"option '{option}' must be a non-empty string")
    return value


_PUBLISHER = re.compile(r"(github:[^/@\s]+/[^/@\s]+|gitlab:[^@\s]+/[^@\s]+)@[^@\s]+")


def _as_publisher(option: str, value: object) -> str:
    if value == "" or (isinstance(value, str) and _PUBLISHER.fullmatch(value)):
        return value
    raise ConfigError(
        f"option '{option}' must be github:OWNER/REPO@WORKFLOW or gitlab:NAMESPACE/PROJECT@CI_FILE, "
        f"not {value!r}"
    )


_PARSERS: dict[Kind, Callable[[str, object], object]] = {
    Kind.SWITCH: _as_bool,
    Kind.SECONDS: _as_float,
    Kind.POSITIVE_SECONDS: _as_positive,
    Kind.COUNT: _as_count,
    Kind.TEXT: _as_str,
    Kind.STAGES: _as_stages,
    Kind.TAG: _as_tag,
    Kind.PATTERNS: _as_patterns,
    Kind.PUBLISHER: _as_publisher,
}
REPOSITORY_KEYS = frozenset({"upload-url", "simple-url", "public", "auth", "oidc-url", "cert", "client-cert"})


def _parse(option: Option, where: str, value: object, root: Path) -> object:
    """`value` (named `where` in errors) as option's Config field holds it; paths are resolved."""
    if option.kind is Kind.CHOICE:
        return _choice(where, value, option.choices)
    if option.kind is Kind.PATH:
        return (root / _as_str(where, value)).resolve()
    if option.kind in (Kind.OPTIONAL_PATH, Kind.PROJECT_FILE):
        path = _as_optional_path(where, value)
        if not path:
            return None
        resolved = (root / path).resolve()
        if option.kind is Kind.PROJECT_FILE and not resolved.is_relative_to(root):
            raise ConfigError(f"option '{where}' must name a file inside the project, not {path!r}")
        return resolved
    return _PARSERS[option.kind](where, value)


def read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    try:
        with path.open("rb") as f:
            data: dict[str, Any] = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"no pyproject.toml in {root}: run shipyard inside a Python project") from None
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
    pyproject: Mapping[str, Any] | None = None,
) -> Config:
    """Build the Config for the project at `root` (flags by option key, such as "verify-timeout")."""
    root = root.resolve()
    data = read_pyproject(root) if pyproject is None else pyproject
    table = data.get("tool", {}).get("shipyard", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.shipyard] in pyproject.toml must be a table")
    return from_table(root, table, environ=environ, flags=flags)


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
    unknown = sorted(set(table) - set(OPTIONS) - {"repositories", *also_known})
    if unknown:
        known = ", ".join([*sorted(OPTIONS), "repositories", *also_known])
        raise ConfigError(f"unknown key '{unknown[0]}' in {where} (known: {known})")
    environ = {} if environ is None else environ
    flags = {} if flags is None else flags
    values: dict[str, Any] = {}  # by Config field; each checked by its option's parser
    for option in OPTIONS.values():
        where, given = _given(option, flags, environ, table)
        values[option.field] = _parse(option, where, given, root)
    network = {o.field: values.pop(o.field) for o in OPTIONS.values() if o.network}
    repositories = builtin_repositories(values["local_index"])
    repositories.update(_declared(table.get("repositories", {}), root))
    return Config(root=root, repositories=repositories, network=Network(**network), **values)


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
            f"unknown key '{unknown[0]}' in {where} (known: {', '.join(sorted(REPOSITORY_KEYS))})"
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
    )
    cert, client = (entry.get(k) and (root / _as_str(f"{where} {k}", entry[k])).resolve() for k in _FILES)
    return dataclasses.replace(repository, cert=cert or None, client_cert=client or None)


_FILES = ("cert", "client-cert")  # a repository's TLS files, relative to the project


def repository_for_url(
    name: str,
    upload_url: object,
    simple_url: object = None,
    *,
    public: object = None,
    auth: object = "required",
    oidc_url: object = None,
    where: str = "--repository-url",
) -> Repository:
    """A repository from URLs (config table or the one-off --repository-url)."""
    upload = _http_url(upload_url, f"{where} upload-url")
    if simple_url is None:
        simple_url = derive_simple_url(upload)
        if simple_url is None:
            needed = "--simple-url" if where == "--repository-url" else "simple-url"
            raise ConfigError(
                f"{where} needs {needed}: shipyard reads what the index serves before uploading"
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
        public=_as_bool(f"{where} public", public),
        needs_auth=auth == "required",
        oidc_url=None if oidc_url is None else _http_url(oidc_url, f"{where} oidc-url"),
    )


def derive_simple_url(upload_url: str) -> str | None:
    """PyPI-style `/legacy/` upload endpoints have their simple index at `/simple/`."""
    if upload_url.rstrip("/").endswith("/legacy"):
        return upload_url.rstrip("/")[: -len("legacy")] + "simple/"
    return None


def _http_url(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} '{value}' is not an http(s) URL")
    if parts.password:
        raise ConfigError(f"{what} must not carry a password: use SHIPYARD_<NAME>_PASSWORD or a token")
    return value
