"""GitHub Actions for `ci check`: jobs and their `needs`, checkout depth, and the rules only GitHub
has (where `id-token: write` and other write permissions are granted, pinned actions, actions whose
runtime is gone, a checkout that leaves its token in .git/config, skip-existing on the PyPA action)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from shipyard.ci.lint.findings import ERROR, WARNING
from shipyard.ci.lint.model import SECRET_KEY, Job, Script, hands_upload_credential, mentions_secret
from shipyard.ci.lint.shell import Hit
from shipyard.ci.lint.yaml import Map, Str, items, table

SCHEMA = "vendor.github-workflows"
# action -> the majors whose node runtime GitHub removed (they fail or warn on every run): Node 12
# and Node 16 (checkout v3, setup-python v4), or whose service is gone (artifact v3)
DEPRECATED = {
    "actions/checkout": ("v1", "v2", "v3"),
    "actions/setup-python": ("v1", "v2", "v3", "v4"),
    "actions/upload-artifact": ("v1", "v2", "v3"),
    "actions/download-artifact": ("v1", "v2", "v3"),
    "actions/cache": ("v1", "v2"),
}
_SHA = re.compile(r"[0-9a-f]{40}")


def jobs(doc: Map) -> list[Job]:
    top = mentions_secret(doc.get("env"))
    workflow_shell = table(table(doc.get("defaults")).get("run")).get("shell")
    found = []
    for name, job in table(doc.get("jobs")).items():
        if not isinstance(job, Map):
            continue
        made = Job(str(name), table(doc.get("jobs")).line_of(name), node=job)
        secrets = top or mentions_secret(job.get("env"))
        made.deploys = hands_upload_credential(job.get("env"))
        default_shell = str(
            table(table(job.get("defaults")).get("run")).get("shell") or workflow_shell or _runner_shell(job)
        )
        for step in items(job.get("steps")):
            if not isinstance(step, Map):
                continue
            if isinstance(uses := step.get("uses"), Str):
                made.actions.append(uses)
            made.deploys = made.deploys or hands_upload_credential(step.get("env"))
            run = step.get("run")
            if isinstance(run, Str):
                shell = str(step.get("shell", default_shell)).split()[0]
                given = secrets or mentions_secret(step.get("env")) or mentions_secret(run)
                made.scripts.append(Script(run, given, "bash" if shell in ("bash", "sh") else shell))
        found.append(made)
    return found


def _runner_shell(job: Map) -> str:
    """The shell a `run:` gets with none named: PowerShell on Windows runners, bash elsewhere (a
    runner chosen by an expression is taken for bash: unknown here)."""
    runs_on = job.get("runs-on")
    labels = [runs_on] if isinstance(runs_on, str) else runs_on if isinstance(runs_on, list) else []
    return "pwsh" if any(str(label).lower().startswith("windows") for label in labels) else "bash"


def service_credentials(doc: Map) -> frozenset[str]:
    """The literal passwords the jobs give their service containers (`services: db: env:
    POSTGRES_PASSWORD: postgres`): a throwaway container's, living as long as the job."""
    found: set[str] = set()
    for job in table(doc.get("jobs")).values():
        for service in table(table(job).get("services")).values():
            for key, value in table(table(service).get("env")).items():
                if SECRET_KEY.match(str(key)) and isinstance(value, str) and "${{" not in value:
                    found.add(str(value))
    return frozenset(found)


def _needs(job: Map) -> list[str]:
    needs = job.get("needs", [])
    return [str(needs)] if isinstance(needs, str) else [str(n) for n in items(needs)]


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
    return False if any(j.tests for j in all_jobs if j is not job) else None


def shallow(doc: Map, job: Job) -> tuple[int, str, str] | None:
    for step in items(job.node.get("steps")):
        if isinstance(step, Map) and str(step.get("uses", "")).startswith("actions/checkout@"):
            depth = table(step.get("with")).get("fetch-depth")
            if str(depth) != "0":
                line = table(step.get("with")).line_of("fetch-depth") if depth is not None else step.line
                return (
                    line,
                    f"actions/checkout fetches {depth if depth is not None else 1} commit(s) in a job that "
                    "releases from tags and commits",
                    "add `with: fetch-depth: 0` to the checkout",
                )
    return None


def provider_rules(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    yield from _permissions(doc, all_jobs)
    yield from _reusable_publishing(doc, all_jobs)
    for job in all_jobs:
        yield from _job_permissions(job)
        for action in job.actions:
            yield from _action(action)
        for step in items(job.node.get("steps")):
            if isinstance(step, Map) and isinstance(step.get("uses"), Str):
                yield from _persisted(job, step)
                yield from _skip_existing(step)


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
    if isinstance(perms, Map):
        # the grant reaches the jobs that set no `permissions:` of their own; it matters where more
        # than one does and one of them publishes or holds a secret (a bot's single job, a preview's
        # comment, needs the scope it is given)
        inheriting = [j for j in all_jobs if "permissions" not in j.node]
        risky = len(inheriting) > 1 and any(j.releases or _holds_secrets(j) for j in inheriting)
        for scope, level in perms.items():
            if str(level) == "write" and scope != "id-token":
                yield (
                    perms.line_of(scope),
                    "excessive-permissions",
                    ERROR if risky else WARNING,
                    f"`{scope}: write` for the whole workflow: every job's token can write"
                    + (", the publishing ones' and those holding secrets included" if risky else ""),
                    f"set `permissions: {{}}` at the top and `{scope}: write` on the job that needs it",
                )
    elif perms is None and not any("permissions" in j.node for j in all_jobs):
        yield (
            doc.line_of("jobs"),
            "excessive-permissions",
            WARNING,
            "no `permissions:`: every job gets the repository's default token, read-write in many",
            "set `permissions: {}` at the top, and what each job needs on the job",
        )


_SECRET_NAME = re.compile(r"\bsecrets\.(\w+)")


def _holds_secrets(job: Job) -> bool:
    """A job given a secret other than its own GITHUB_TOKEN (whose scopes are what is at stake)."""
    if str(job.node.get("secrets", "")) == "inherit":
        return True
    names = _SECRET_NAME.findall(_texts(job.node))
    return any(name.upper() != "GITHUB_TOKEN" for name in names)


def _texts(value: object) -> str:
    if isinstance(value, dict):
        return "\n".join(_texts(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_texts(v) for v in value)
    return value if isinstance(value, str) else ""


def _triggers(doc: Map) -> list[str]:
    on = doc.get("on", doc.get(True))  # type: ignore[call-overload]  # a YAML 1.1 reader's `on`
    if isinstance(on, str):
        return [on]
    return [str(t) for t in on] if isinstance(on, (list, dict)) else []


def _reusable_publishing(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    """PyPI's trusted publishing refuses a token minted inside a reusable workflow (pypi/warehouse
    #11096): the claims name the caller's workflow, the publisher the called one, or the reverse."""
    triggers = _triggers(doc)
    if "workflow_call" not in triggers:
        return
    top = doc.get("permissions")
    workflow_wide = top == "write-all" or (isinstance(top, Map) and top.get("id-token") == "write")
    for job in all_jobs:
        perms = job.node.get("permissions")
        granted = perms == "write-all" or (isinstance(perms, Map) and perms.get("id-token") == "write")
        if not job.releases or not (granted or (workflow_wide and perms is None)):
            continue
        only = triggers == ["workflow_call"]
        yield (
            job.line,
            "reusable-trusted-publishing",
            ERROR if only else WARNING,
            f"job {job.name} publishes with `id-token: write` in a reusable workflow (on: workflow_call): "
            "PyPI's trusted publishing refuses uploads from a called workflow"
            + ("" if only else " (the runs it is called in fail; its own triggers work)"),
            "build in the reusable workflow and hand the files over as an artifact; publish from a job "
            "of the calling workflow, the one registered as the trusted publisher",
        )


def _job_permissions(job: Job) -> Iterator[Hit]:
    if job.node.get("permissions") == "write-all":
        yield (
            job.node.line_of("permissions"),
            "excessive-permissions",
            ERROR,
            f"job {job.name} gets `write-all`: its token can write everywhere",
            "list only the scopes the job needs (`contents: write`, `id-token: write`)",
        )


def _persisted(job: Job, step: Map) -> Iterator[Hit]:
    """actions/checkout leaves the job's token in .git/config unless told not to (zizmor's artipacked):
    every later step of the job can read it, an uploaded workspace carries it."""
    uses = step["uses"]
    if not isinstance(uses, Str) or not uses.lower().startswith("actions/checkout@"):
        return
    if str(table(step.get("with")).get("persist-credentials", "true")).lower() == "false":
        return
    yield (
        uses.line,
        "artipacked",
        ERROR if job.releases else WARNING,
        "actions/checkout keeps the job's token in .git/config"
        + (" in a job that publishes" if job.releases else "")
        + ": every later step, and any upload of the workspace, can read it",
        "add `with: persist-credentials: false` to the checkout (and give a push its token explicitly)",
    )


def _skip_existing(step: Map) -> Iterator[Hit]:
    """skip-existing passes over a file of the same name even when its content differs: the release
    looks done while the index serves other bytes."""
    if not str(step["uses"]).lower().startswith("pypa/gh-action-pypi-publish@"):
        return
    given = table(step.get("with"))
    if str(given.get("skip-existing", "false")).lower() != "true":
        return
    test_index = "test.pypi.org" in str(given.get("repository-url", ""))
    yield (
        given.line_of("skip-existing"),
        "skip-existing",
        WARNING if test_index else ERROR,
        "`skip-existing: true` skips a file of the same name even when its content differs"
        + (" (on TestPyPI)" if test_index else ": the release can pass with other bytes on PyPI"),
        "drop skip-existing: `shipyard publish` skips only files with the same sha256, else names both",
    )


def _action(action: Str) -> Iterator[Hit]:
    name, _, ref = str(action).partition("@")
    if name.startswith(("./", "docker://")):
        return
    if not ref:
        yield (
            action.line,
            "action-ref",
            ERROR,
            f"`uses: {name}` has no ref: GitHub refuses a remote action without one",
            f"pin it: `uses: {name}@<40-hex commit SHA>  # vX.Y.Z`",
        )
        return
    comment = re.search(r"#\s*(v\d+)", action.source[action.line - 1]) if _SHA.fullmatch(ref) else None
    major = (comment[1] if comment else ref).split(".")[0]
    if major in DEPRECATED.get(name.lower(), ()):
        yield (
            action.line,
            "deprecated-action",
            ERROR,
            f"{name}@{major} runs on a node runtime GitHub has removed",
            f"use a current major of {name} (one that runs on Node 24), pinned to its commit SHA",
        )
    if not _SHA.fullmatch(ref):
        yield (
            action.line,
            "unpinned-action",
            WARNING,
            f"{name}@{ref} is a movable ref: whoever controls it controls your release",
            "pin the action to a full 40-hex commit SHA (keep the version in a comment)",
        )
