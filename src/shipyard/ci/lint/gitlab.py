"""GitLab CI for `ci check`: jobs (with `extends`), stage order and `needs`, and GIT_DEPTH."""

from __future__ import annotations

from collections.abc import Iterator

from shipyard.ci.lint.findings import ERROR
from shipyard.ci.lint.model import Job, Script, mentions_secret
from shipyard.ci.lint.shell import Hit
from shipyard.ci.lint.yaml import Map, Seq, Str, items, table

SCHEMA = "vendor.gitlab-ci"
RESERVED = {
    "image",
    "services",
    "stages",
    "types",
    "before_script",
    "after_script",
    "variables",
    "cache",
    "include",
    "default",
    "workflow",
    "spec",
}
DEFAULT_STAGES = ["build", "test", "deploy"]
SCRIPT_KEYS = ("before_script", "script", "after_script")


def _resolved(doc: Map, name: str, depth: int = 0) -> Map:
    """A job with the keys of the jobs it `extends` underneath its own."""
    job = doc.get(name)
    if not isinstance(job, Map) or depth > 10:
        return Map()
    bases = job.get("extends", [])
    merged = Map()
    merged.line, merged.key_lines = job.line, {}
    for base in [bases] if isinstance(bases, str) else items(bases):
        parent = _resolved(doc, str(base), depth + 1)
        merged.update(parent)
        merged.key_lines.update(parent.key_lines)
    merged.update(job)
    merged.key_lines.update(job.key_lines)
    return merged


def _scripts(value: object) -> list[Str]:
    if isinstance(value, Str):
        return [value]
    if isinstance(value, Seq):
        return [s for item in value for s in _scripts(item)]
    return []


def jobs(doc: Map) -> list[Job]:
    top = mentions_secret(doc.get("variables"))
    found = []
    for name in doc:
        if name in RESERVED or name.startswith(".") or not isinstance(doc[name], Map):
            continue
        job = _resolved(doc, name)
        default = table(doc.get("default"))
        secrets = top or mentions_secret(job.get("variables")) or "id_tokens" in job
        made = Job(name, doc.line_of(name), node=job)
        for key in SCRIPT_KEYS:
            value = job.get(key, default.get(key, doc.get(key) if key != "script" else None))
            for text in _scripts(value):
                made.scripts.append(Script(text, secrets or mentions_secret(text)))
        found.append(made)
    return found


def _stages(doc: Map) -> list[str]:
    declared = doc.get("stages") or doc.get("types")
    names = [str(s) for s in declared] if isinstance(declared, list) else DEFAULT_STAGES
    return [".pre", *names, ".post"]


def _stage(job: Job) -> str:
    return str(job.node.get("stage", "test"))


def _before(doc: Map, all_jobs: list[Job], job: Job) -> set[str]:
    """Every job `job` waits for: its `needs` (and theirs), or without `needs` every earlier stage."""
    order = _stages(doc)
    by_name = {j.name: j for j in all_jobs}
    seen: set[str] = set()
    todo = [job.name]
    while todo:
        current = by_name[todo.pop()]
        needs = current.node.get("needs")
        if needs is None:
            rank = order.index(_stage(current)) if _stage(current) in order else len(order)
            earlier = [j.name for j in all_jobs if _stage(j) in order[:rank]]
        else:
            earlier = [str(n.get("job")) if isinstance(n, Map) else str(n) for n in items(needs)]
        for name in earlier:
            if name in by_name and name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def waits_for_tests(doc: Map, all_jobs: list[Job], job: Job) -> bool | None:
    by_name = {j.name: j for j in all_jobs}
    if any(by_name[n].tests for n in _before(doc, all_jobs, job)) or job.tests_before_release:
        return True
    return False if any(j.tests for j in all_jobs if j is not job) else None


def shallow(doc: Map, job: Job) -> tuple[int, str, str] | None:
    own = job.node.get("variables")
    top = doc.get("variables")
    for where in (own, top):
        if isinstance(where, Map) and "GIT_DEPTH" in where:
            if str(where["GIT_DEPTH"]).strip() in ("0", ""):
                return None
            return (
                where.line_of("GIT_DEPTH"),
                f"GIT_DEPTH {where['GIT_DEPTH']} clones part of the history in a job that releases "
                "from tags and commits",
                'set GIT_DEPTH: "0"',
            )
    return (
        job.line,
        "no GIT_DEPTH: GitLab clones the last 20 commits by default, in a job that releases from tags "
        "and commits",
        'add `variables: GIT_DEPTH: "0"` (to the file or the job)',
    )


def provider_rules(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    """A job in a stage that `stages` does not list: GitLab refuses the whole pipeline."""
    order = _stages(doc)
    for job in all_jobs:
        if _stage(job) not in order:
            typo = " (the file has `stage:`, not `stages:`)" if "stage" in doc and "stages" not in doc else ""
            yield (
                job.node.line_of("stage"),
                "unknown-stage",
                ERROR,
                f"job {job.name} is in stage {_stage(job)!r}, which is not among the stages{typo}",
                f"list it under `stages:` (now: {', '.join(order[1:-1])})",
            )
