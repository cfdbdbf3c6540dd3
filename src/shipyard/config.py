"""[tool.shipyard] in pyproject.toml + SHIPYARD_* environment + command-line flags -> one frozen Config.

Precedence: flag > environment > file > default. Every option has an environment variable named
`SHIPYARD_<OPTION>` (upper-cased, `-` to `_`), shown in `--help`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shipyard.errors import ConfigError
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

    @property
    def is_local(self) -> bool:
        return self.local_path is not None


@dataclass(frozen=True)
class Config:
    root: Path
    stages: tuple[str, ...]
    tag: str
    dist_dir: Path
    local_index: Path
    repositories: Mapping[str, Repository]
    test_install: bool
    verify_install: bool
    verify_timeout: float
    allow_unverified: bool
    version_source: str = "tag"
    commit_parser: str = "both"
    major_on_zero: bool = False
    changelog: Path | None = None
    remote: str = "origin"
    network: Network = field(default_factory=Network)
    lock_timeout: float = 10.0

    def repository(self, name: str) -> Repository:
        try:
            return self.repositories[name]
        except KeyError:
            known = ", ".join(sorted(self.repositories))
            raise ConfigError(
                f"unknown repository '{name}' (known: {known}); declare it under "
                f"[tool.shipyard.repositories.{name}] with upload-url and simple-url"
            ) from None


def env_name(option: str) -> str:
    return "SHIPYARD_" + option.upper().replace("-", "_")


def _as_bool(option: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"option '{option}' must be true or false, not '{value}'")


def _as_stages(option: str, value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"option '{option}' must be a list of repository names")
    stages = tuple(i.strip() for i in items if i.strip())
    if not stages:
        raise ConfigError(f"option '{option}' names no repository: list at least one, such as \"local\"")
    return stages


def _as_tag(option: str, value: Any) -> str:
    from shipyard.plan.versions import TagPattern

    if not isinstance(value, str) or "{version}" not in value:
        raise ConfigError(f"option '{option}' must be a pattern containing {{version}}, not {value!r}")
    return TagPattern(value).pattern


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def parse(option: str, value: Any) -> str:
        if value not in allowed:
            raise ConfigError(f"option '{option}' must be one of {', '.join(allowed)}, not {value!r}")
        return str(value)

    return parse


def _as_optional_path(option: str, value: Any) -> str:
    """A path, or "" / false to switch the feature off."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("", "false", "off", "no")):
        return ""
    return _as_str(option, value)


def _as_float(option: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{option}' must be a number of seconds, not '{value}'") from None
    if number < 0:
        raise ConfigError(f"option '{option}' must not be negative")
    return number


def _as_count(option: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option '{option}' must be a whole number, not '{value}'") from None
    if number < 0 or isinstance(value, bool) or (isinstance(value, float) and value != number):
        raise ConfigError(f"option '{option}' must be a whole number of at least 0, not '{value}'")
    return number


def _as_positive(option: str, value: Any) -> float:
    number = _as_float(option, value)
    if number == 0:
        raise ConfigError(f"option '{option}' must be more than 0 seconds")
    return number


def _as_str(option: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"option '{option}' must be a non-empty string")
    return value


# option -> (parser, default); the keys are also the names in [tool.shipyard]
OPTIONS: dict[str, tuple[Callable[[str, Any], Any], Any]] = {
    "stages": (_as_stages, ("local",)),
    "tag": (_as_tag, "v{version}"),
    "dist-dir": (_as_str, "dist"),
    "local-index": (_as_str, ".shipyard/index"),
    "test-install": (_as_bool, True),
    "verify-install": (_as_bool, True),
    "verify-timeout": (_as_float, 120.0),
    "allow-unverified": (_as_bool, False),
    "version-source": (_choice("tag", "project"), "tag"),
    "commit-parser": (_choice("both", "conventional", "paa"), "both"),
    "major-on-zero": (_as_bool, False),
    "changelog": (_as_optional_path, "CHANGELOG.md"),
    "remote": (_as_str, "origin"),
    # faults: transient failures are retried with backoff and jitter, within these bounds
    "retries": (_as_count, Network.retries),
    "retry-timeout": (_as_float, Network.retry_timeout),
    "retry-delay": (_as_float, Network.retry_delay),
    "read-timeout": (_as_positive, Network.read_timeout),
    "upload-timeout": (_as_positive, Network.upload_timeout),
    "lock-timeout": (_as_float, 10.0),
}
REPOSITORY_KEYS = frozenset({"upload-url", "simple-url", "public", "auth", "oidc-url"})


def read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    try:
        with path.open("rb") as f:
            data: dict[str, Any] = tomllib.load(f)
            return data
    except FileNotFoundError:
        raise ConfigError(f"no pyproject.toml in {root}: run shipyard inside a Python project") from None
    except NotADirectoryError:
        raise ConfigError(f"{root} is not a folder: pass the project folder with -C PATH") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}: fix the file there") from None


def load(
    root: Path,
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    pyproject: Mapping[str, Any] | None = None,
) -> Config:
    """Build the Config for the project at `root`."""
    root = root.resolve()
    data = read_pyproject(root) if pyproject is None else pyproject
    table = data.get("tool", {}).get("shipyard", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.shipyard] in pyproject.toml must be a table")
    unknown = sorted(set(table) - set(OPTIONS) - {"repositories"})
    if unknown:
        known = ", ".join([*sorted(OPTIONS), "repositories"])
        raise ConfigError(f"unknown key '{unknown[0]}' in [tool.shipyard] (known: {known})")
    environ = {} if environ is None else environ
    flags = {} if flags is None else flags
    values: dict[str, Any] = {}
    for option, (parse, default) in OPTIONS.items():
        if flags.get(option) is not None:
            values[option] = parse(f"--{option}", flags[option])
        elif environ.get(env_name(option)):
            values[option] = parse(env_name(option), environ[env_name(option)])
        elif option in table:
            values[option] = parse(option, table[option])
        else:
            values[option] = default
    local_index = (root / values["local-index"]).resolve()
    repositories = builtin_repositories(local_index)
    repositories.update(_declared(table.get("repositories", {})))
    return Config(
        root=root,
        stages=values["stages"],
        tag=values["tag"],
        dist_dir=(root / values["dist-dir"]).resolve(),
        local_index=local_index,
        repositories=repositories,
        test_install=values["test-install"],
        verify_install=values["verify-install"],
        verify_timeout=values["verify-timeout"],
        allow_unverified=values["allow-unverified"],
        version_source=values["version-source"],
        commit_parser=values["commit-parser"],
        major_on_zero=values["major-on-zero"],
        changelog=(root / values["changelog"]).resolve() if values["changelog"] else None,
        remote=values["remote"],
        network=Network(
            retries=values["retries"],
            retry_timeout=values["retry-timeout"],
            retry_delay=values["retry-delay"],
            read_timeout=values["read-timeout"],
            upload_timeout=values["upload-timeout"],
        ),
        lock_timeout=values["lock-timeout"],
    )


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


def _declared(table: Any) -> dict[str, Repository]:
    if not isinstance(table, dict):
        raise ConfigError("[tool.shipyard.repositories] must be a table of repositories")
    return {name: repository_from_table(name, entry) for name, entry in table.items()}


def repository_from_table(name: str, entry: Any) -> Repository:
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
    return repository_for_url(
        name,
        entry["upload-url"],
        entry.get("simple-url"),
        public=entry.get("public"),
        auth=entry.get("auth", "required"),
        oidc_url=entry.get("oidc-url"),
        where=where,
    )


def repository_for_url(
    name: str,
    upload_url: Any,
    simple_url: Any = None,
    *,
    public: Any = None,
    auth: Any = "required",
    oidc_url: Any = None,
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


def _http_url(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} '{value}' is not an http(s) URL")
    if parts.password:
        raise ConfigError(f"{what} must not carry a password: use SHIPYARD_<NAME>_PASSWORD or a token")
    return value
