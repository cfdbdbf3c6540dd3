"""The audit log: one JSON line per publish in `.shipyard/audit.jsonl` at the project (or packaging
repository) root: what was published where, when, from which CI run, by which shipyard.

Each line is appended with a single write(2) on a file opened with O_APPEND, so concurrent runs
never interleave or tear lines. Repository URLs are written without any user:password part, and
credentials are never part of a record.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shipyard import __version__
from shipyard.config import Repository
from shipyard.errors import UsageError
from shipyard.secrets import redact
from shipyard.tools import workdirs

FILENAME = "audit.jsonl"


def ci_run(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The CI system, run id and run URL from the environment, or None outside CI."""
    env = environ.get
    if env("GITHUB_RUN_ID"):
        server, repo, run = (
            env("GITHUB_SERVER_URL", "https://github.com"),
            env("GITHUB_REPOSITORY"),
            env("GITHUB_RUN_ID"),
        )
        url = f"{server}/{repo}/actions/runs/{run}" if repo else ""
        return _run("github", run or "", url, attempt=env("GITHUB_RUN_ATTEMPT", ""))
    if env("CI_PIPELINE_ID"):
        return _run("gitlab", env("CI_PIPELINE_ID", ""), env("CI_JOB_URL") or env("CI_PIPELINE_URL", ""))
    if env("BUILD_BUILDID"):
        base, project = env("SYSTEM_COLLECTIONURI", ""), env("SYSTEM_TEAMPROJECT", "")
        url = f"{base.rstrip('/')}/{project}/_build/results?buildId={env('BUILD_BUILDID')}" if base else ""
        return _run("azure", env("BUILD_BUILDID", ""), url)
    if env("TRAVIS_BUILD_ID"):
        return _run("travis", env("TRAVIS_BUILD_ID", ""), env("TRAVIS_BUILD_WEB_URL", ""))
    if env("CIRCLE_WORKFLOW_ID") or env("CIRCLE_BUILD_NUM"):
        return _run("circleci", env("CIRCLE_BUILD_NUM", ""), env("CIRCLE_BUILD_URL", ""))
    if env("JENKINS_URL") and env("BUILD_ID"):
        return _run("jenkins", env("BUILD_ID", ""), env("BUILD_URL", ""))
    return None


def _run(system: str, run_id: str, url: str, **extra: str) -> dict[str, str]:
    return {
        "system": system,
        "run_id": run_id,
        "url": public_url(url),
        **{k: v for k, v in extra.items() if v},
    }


def public_url(url: str) -> str:
    """`url` without user:password@: what can be written anywhere."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class AuditLog:
    path: Path
    ci: dict[str, str] | None = field(default=None)

    @classmethod
    def at(cls, root: Path, environ: Mapping[str, str]) -> AuditLog:
        return cls(root / workdirs.STATE / FILENAME, ci_run(environ))

    def writable(self) -> None:
        """UsageError now, before any upload, if the record of one could not be appended."""
        workdirs.writable(self.path.parent, "the audit log")

    def published(
        self,
        repo: Repository,
        package: str,
        version: str,
        files: list[dict[str, object]],
        *,
        error: str | None = None,
    ) -> None:
        """Append the record of one publish (`files`: filename, sha256 and action each)."""
        record: dict[str, object] = {
            "time": utc_now(),
            "package": package,
            "version": version,
            "repository": {"name": repo.name, "url": public_url(repo.upload_url)},
            "files": files,
            "complete": error is None,
            "ci": self.ci,
            "shipyard": __version__,
        }
        if error is not None:
            record["error"] = redact(error)  # the one free text: an index's reply may echo a secret
        self.append(record)

    def append(self, record: Mapping[str, object]) -> None:
        """Append `record`, made from data that never held a secret (names, versions, hashes, URLs
        without userinfo; free text redacted by the caller): never redacted as serialized text,
        which would turn a version or `true` that equals a short password into `***`."""
        line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
        workdirs.ensure(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))  # one write of one whole line: O_APPEND keeps it intact
        finally:
            os.close(fd)


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


def read(path: Path, problems: list[Problem] | None = None) -> Iterator[dict[str, object]]:
    """The records of an audit log, oldest first; lines that are not records go to `problems`."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot read the audit log {path}: {exc.strerror}") from None
    with handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except ValueError:
                record = None
            if isinstance(record, dict):
                yield record
            elif problems is not None:
                problems.append(Problem(number, "not a JSON record"))


def matches(record: Mapping[str, object], package: str | None, repository: str | None) -> bool:
    from packaging.utils import canonicalize_name

    if package and canonicalize_name(str(record.get("package", ""))) != canonicalize_name(package):
        return False
    repo = record.get("repository")
    name = repo.get("name") if isinstance(repo, dict) else None
    return not repository or name == repository
