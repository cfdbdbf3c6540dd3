"""Travis CI for `ci check`: the test matrix, `jobs.include` stages in order, `deploy:`, `git: depth`."""

from __future__ import annotations

from collections.abc import Iterator

from shipyard.ci.lint.findings import WARNING
from shipyard.ci.lint.model import Job, Script, mentions_secret
from shipyard.ci.lint.shell import Hit
from shipyard.ci.lint.yaml import Map, Seq, Str, items

SCHEMA = "vendor.travis"
SCRIPT_KEYS = ("before_install", "install", "before_script", "script", "after_success", "after_deploy")


def _strings(value: object) -> list[Str]:
    if isinstance(value, Str):
        return [value]
    return [v for v in value if isinstance(v, Str)] if isinstance(value, Seq) else []


def _deploys(value: object) -> bool:
    deploy = value if isinstance(value, list) else [value]
    return any(isinstance(d, Map) and d.get("provider") for d in deploy)


def _job(name: str, line: int, node: Map, doc: Map, stage: str) -> Job:
    made = Job(name, line, node=node, stage=stage)
    secrets = mentions_secret(doc.get("env")) or mentions_secret(node.get("env"))
    for key in SCRIPT_KEYS:
        for text in _strings(node.get(key, doc.get(key))):
            made.scripts.append(Script(text, secrets or mentions_secret(text)))
    made.deploys = _deploys(node.get("deploy", doc.get("deploy")))
    return made


def jobs(doc: Map) -> list[Job]:
    found = []
    if "script" in doc or "deploy" in doc:  # the matrix (every python/env), in the stage `test`
        found.append(_job("test", doc.line_of("script" if "script" in doc else "deploy"), doc, doc, "test"))
    include = doc.get("jobs", doc.get("matrix"))
    stage = "test"
    for i, entry in enumerate(items(include.get("include")) if isinstance(include, Map) else []):
        if isinstance(entry, Map):
            stage = str(entry.get("stage", stage))  # an entry without a stage stays in the one before
            name = str(entry.get("name", f"{stage} #{i + 1}"))
            found.append(_job(name, entry.line, entry, doc, stage))
    return found


def _order(doc: Map, all_jobs: list[Job]) -> list[str]:
    stages = doc.get("stages")
    if isinstance(stages, list):
        declared = [str(s.get("name")) if isinstance(s, Map) else str(s) for s in stages]
    else:
        declared = []
    for job in all_jobs:  # stages not declared run after the declared ones, in order of appearance
        if job.stage not in declared:
            declared.append(str(job.stage))
    return declared


def waits_for_tests(doc: Map, all_jobs: list[Job], job: Job) -> bool | None:
    order = _order(doc, all_jobs)
    earlier = order[: order.index(str(job.stage))]
    # `deploy:` runs after the job's `script` (the tests) succeeded
    tested_here = job.deploys and "script" in job.node
    if tested_here or job.tests_before_release or any(j.tests and j.stage in earlier for j in all_jobs):
        return True
    return False if any(j.tests for j in all_jobs if j is not job) else None


def shallow(doc: Map, job: Job) -> tuple[int, str, str] | None:
    git = job.node.get("git", doc.get("git"))
    depth = git.get("depth") if isinstance(git, Map) else None
    if depth is False:
        return None
    line = git.line_of("depth") if isinstance(git, Map) and "depth" in git else job.line
    return (
        line,
        f"Travis clones {depth if depth is not None else 50} commits (git depth) in a job that releases "
        "from tags and commits",
        "set `git: depth: false`",
    )


def provider_rules(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    """`deploy:` at the top runs in every job of the matrix: one upload per Python, racing."""
    deploy = doc.get("deploy")
    pythons = doc.get("python")
    on = deploy.get("on") if isinstance(deploy, Map) else None
    if (
        _deploys(deploy)
        and isinstance(pythons, list)
        and len(pythons) > 1
        and not (isinstance(on, Map) and on.get("condition"))
    ):
        yield (
            doc.line_of("deploy"),
            "deploy-per-job",
            WARNING,
            f"deploy runs in each of the {len(pythons)} jobs of the python matrix",
            "release in a stage of its own (one job), as `shipyard ci init --travis` writes",
        )
