"""GitHub Actions for `ci check`: jobs and their `needs`, checkout depth, and the rules only GitHub
has (where `id-token: write` is granted, pinned actions, actions whose runtime is gone)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from shipyard.ci.lint.model import Job, Script, mentions_secret
from shipyard.ci.lint.shell import Hit
from shipyard.ci.lint.yaml import Map, Str
from shipyard.hygiene.findings import ERROR, WARNING

SCHEMA = "vendor.github-workflows"
# action -> the majors whose node runtime GitHub removed (they fail or warn on every run)
DEPRECATED = {
    "actions/checkout": ("v1", "v2"),
    "actions/setup-python": ("v1", "v2", "v3"),
    "actions/upload-artifact": ("v1", "v2", "v3"),
    "actions/download-artifact": ("v1", "v2", "v3"),
    "actions/cache": ("v1", "v2"),
}
_SHA = re.compile(r"[0-9a-f]{40}")


def _map(value: object) -> Map:
    return value if isinstance(value, Map) else Map()


def jobs(doc: Map) -> list[Job]:
    top = mentions_secret(doc.get("env"))
    found = []
    for name, job in _map(doc.get("jobs")).items():
        if not isinstance(job, Map):
            continue
        made = Job(str(name), _map(doc.get("jobs")).line_of(name), node=job)
        secrets = top or mentions_secret(job.get("env"))
        default_shell = str(_map(_map(job.get("defaults")).get("run")).get("shell", "bash"))
        for step in job.get("steps") or []:
            if not isinstance(step, Map):
                continue
            if isinstance(step.get("uses"), Str):
                made.actions.append(step["uses"])
            run = step.get("run")
            if isinstance(run, Str):
                shell = str(step.get("shell", default_shell)).split()[0]
                given = secrets or mentions_secret(step.get("env")) or mentions_secret(run)
                made.scripts.append(Script(run, given, "bash" if shell in ("bash", "sh") else shell))
        found.append(made)
    return found


def _needs(job: Map) -> list[str]:
    needs = job.get("needs", [])
    return [str(needs)] if isinstance(needs, str) else [str(n) for n in needs or []]


def waits_for_tests(doc: Map, all_jobs: list[Job], job: Job) -> bool | None:
    """True when a test job comes before it; None when no job of this file runs tests."""
    by_name = {j.name: j for j in all_jobs}
    seen: set[str] = set()
    todo = _needs(job.node)
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo += _needs(by_name[name].node)
    if any(by_name[n].tests for n in seen) or job.tests_before_release:
        return True
    return False if any(j.tests for j in all_jobs) else None


def shallow(doc: Map, job: Job) -> tuple[int, str, str] | None:
    for step in job.node.get("steps") or []:
        if isinstance(step, Map) and str(step.get("uses", "")).startswith("actions/checkout@"):
            depth = _map(step.get("with")).get("fetch-depth")
            if str(depth) != "0":
                line = _map(step.get("with")).line_of("fetch-depth") if depth is not None else step.line
                return (
                    line,
                    f"actions/checkout fetches {depth if depth is not None else 1} commit(s) in a job that "
                    "releases from tags and commits",
                    "add `with: fetch-depth: 0` to the checkout",
                )
    return None


def provider_rules(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    yield from _permissions(doc, all_jobs)
    for job in all_jobs:
        for action in job.actions:
            yield from _action(action)


def _permissions(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    perms = doc.get("permissions")
    if perms == "write-all" or (isinstance(perms, Map) and perms.get("id-token") == "write"):
        line = perms.line_of("id-token") if isinstance(perms, Map) else doc.line_of("permissions")
        releasing = ", ".join(j.name for j in all_jobs if j.releases) or "the publishing job"
        yield (
            line,
            "id-token-scope",
            ERROR,
            "`id-token: write` for the whole workflow: every job can mint an upload token",
            f"set `permissions: contents: read` at the top and `id-token: write` only on {releasing}",
        )


def _action(action: Str) -> Iterator[Hit]:
    name, _, ref = str(action).partition("@")
    if name.startswith(("./", "docker://")) or not ref:
        return
    comment = re.search(r"#\s*(v\d+)", action.source[action.line - 1]) if _SHA.fullmatch(ref) else None
    major = (comment[1] if comment else ref).split(".")[0]
    if major in DEPRECATED.get(name.lower(), ()):
        yield (
            action.line,
            "deprecated-action",
            ERROR,
            f"{name}@{major} runs on a node runtime GitHub has removed",
            f"use {name}@v4 or later, pinned to its commit SHA",
        )
    if not _SHA.fullmatch(ref):
        yield (
            action.line,
            "unpinned-action",
            WARNING,
            f"{name}@{ref} is a movable ref: whoever controls it controls your release",
            "pin the action to a full 40-hex commit SHA (keep the version in a comment)",
        )
