"""What a generated pipeline installs as shipyard: the exact release that wrote the file, or the
project's `[tool.shipyard.ci] install` (shipyard.toml: `[ci] install`), such as a URL pinned to a
commit. An unpinned install would let a later release, or a name taken over on the index, run in
jobs that hold publishing credentials. Also the `lint` of that table: the command the pipelines'
lint job runs instead of `ruff check .`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from shipyard.errors import ConfigError, did_you_mean

DIST = "shipyard-release"
SIGNING = "attest"  # the extra that signs PEP 740 attestations (pypi-attestations, sigstore)
# the uv wheel: a CI image has no uv on PATH, and a job that reads no index cannot fetch one later
UV = "uv"
# a requirement, a URL or a path: no quotes, spaces, `$` or braces, so that no CI expands or splits it
_SAFE = re.compile(r"[A-Za-z0-9._@+:/=<>!~,#%-]+(\s*@\s*[A-Za-z0-9._@+:/=#%-]+)?")
# a lint command: words of these characters, so every CI runs it as written (no quotes, `$`, `;`, `|`,
# `&`, redirections or braces that a CI or the shell would expand, split or chain)
_COMMAND = re.compile(r"[A-Za-z0-9._/:=+,@%-]+( [A-Za-z0-9._/:=+,@%-]+)*")
KEYS = ("install", "lint")


@dataclass(frozen=True)
class Install:
    requirement: str  # what pip installs
    note: str  # a comment for the generated file: where the requirement comes from

    @property
    def tools(self) -> str:
        """The requirement with the `uv` extra: what every job installs (shipyard runs uv)."""
        return with_extra(self.requirement, UV)

    @property
    def signing(self) -> str:
        """With the `attest` extra too: what the jobs that may sign (id tokens) install."""
        return with_extra(self.requirement, SIGNING, UV)


def with_extra(requirement: str, *extras: str) -> str:
    """`requirement` with `extras` added: a named requirement gets them in brackets, a bare URL gets
    the name in front (`NAME[extra] @ URL`), a local path or wheel gets `[extra]` after it (pip's form)."""
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        parsed = None
    if parsed is not None:
        parsed.extras.update(extras)
        return str(parsed)
    if "://" in requirement:
        return f"{DIST}[{','.join(extras)}] @ {requirement}"
    return f"{requirement}[{','.join(extras)}]"


def writer_version() -> str:
    """The version of the shipyard running now (its installed distribution)."""
    try:
        return metadata.version(DIST)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def choose(table: object, where: str, version: str) -> Install:
    """The requirement from the `ci` table at `where` if it names one, else `shipyard-release==version`
    when `version` is a release on an index (not a dev or local build), else the unpinned name."""
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f'{where} must be a table (install = "...")')
    table = table or {}
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        hint = did_you_mean(unknown[0], list(KEYS))
        raise ConfigError(f"unknown key '{unknown[0]}' in {where}{hint} (known: {', '.join(KEYS)})")
    given = table.get("install")
    if given is not None:
        if not isinstance(given, str) or not _SAFE.fullmatch(given.strip()):
            raise ConfigError(
                f"install in {where} must be one requirement, URL or path for pip, without quotes, "
                f"spaces, '$' or braces, such as \"{DIST} @ git+https://host/repo@COMMIT\""
            )
        return Install(given.strip(), f"install in {where}")
    try:
        parsed = Version(version)
    except InvalidVersion:
        parsed = None
    if parsed is None or parsed.is_devrelease or parsed.local:
        return Install(
            DIST,
            f"unpinned: shipyard {version} wrote this file, a build that is on no index; "
            f'pin it with install = "..." in {where}',
        )
    return Install(
        f"{DIST}=={parsed}", f"the shipyard that wrote this file (set install in {where} to change it)"
    )


def lint_command(table: object, where: str) -> str:
    """The `lint` command of the `ci` table at `where` (a table `choose` has checked), or ""."""
    given = table.get("lint") if isinstance(table, dict) else None
    if given is None:
        return ""
    if not isinstance(given, str) or not _COMMAND.fullmatch(given.strip()):
        raise ConfigError(
            f"lint in {where} must be one command of plain words, without quotes, '$', ';', '|', '&', "
            'redirections or braces, such as "./run.sh lint" or "tox -e lint"'
        )
    return given.strip()
