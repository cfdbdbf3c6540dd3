"""Azure Pipelines for `ci check`: stages and jobs with `dependsOn`, steps, and `fetchDepth`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from shipyard.ci.lint.model import Job, Script, mentions_secret
from shipyard.ci.lint.shell import Hit
from shipyard.ci.lint.yaml import Map, Seq, Str, table

SCHEMA = "vendor.azure-pipelines"
# a template directive: `${{ each x in y }}:`, `${{ if cond }}:`, `${{ else }}:` as a key
_DIRECTIVE = re.compile(r"^\$\{\{.*\}\}$", re.DOTALL)
SHELLS = {"bash": "bash", "script": "bash", "powershell": "pwsh", "pwsh": "pwsh"}
INLINE_TASKS = ("bash@", "cmdline@", "shellscript@")


def _list(value: object) -> list[object]:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


def _stages(doc: Map) -> list[Map]:
    """The stages (a file with only `jobs:` or `steps:` is one stage of one job)."""
    if isinstance(stages := doc.get("stages"), Seq):
        return [s for s in stages if isinstance(s, Map) and "stage" in s]
    if isinstance(doc.get("jobs"), Seq):
        return [_made(doc.line, stage="", jobs=doc["jobs"])]
    return [_made(doc.line, stage="", jobs=[_made(doc.line, job="", steps=doc.get("steps") or [])])]


def _made(line: int, **values: object) -> Map:
    made = Map(values)
    made.line, made.key_lines = line, {}
    return made


def _steps(job: Map) -> list[object]:
    if "steps" in job:
        return _list(job["steps"])
    deploy = table(table(table(job.get("strategy")).get("runOnce")).get("deploy"))  # a deployment job
    return _list(deploy.get("steps"))


def _script(step: Map) -> tuple[Str, str] | None:
    for key, shell in SHELLS.items():
        if isinstance(script := step.get(key), Str):
            return script, shell
    task = str(step.get("task", "")).lower()
    inputs = step.get("inputs")
    if (
        task.startswith(INLINE_TASKS)
        and isinstance(inputs, Map)
        and isinstance(script := inputs.get("script"), Str)
    ):
        return script, "bash"
    return None


def jobs(doc: Map) -> list[Job]:
    top = mentions_secret(doc.get("variables"))
    found = []
    for stage in _stages(doc):
        for job in _list(stage.get("jobs")):
            if not isinstance(job, Map) or not ("job" in job or "deployment" in job):
                continue
            name = str(job.get("job", job.get("deployment")))
            made = Job(name, job.line, node=job, stage=str(stage["stage"]))
            secrets = top or mentions_secret(job.get("variables"))
            for step in _steps(job):
                if not isinstance(step, Map) or not (found_script := _script(step)):
                    continue
                text, shell = found_script
                given = secrets or mentions_secret(step.get("env")) or mentions_secret(text)
                made.scripts.append(Script(text, given, shell))
            found.append(made)
    return found


def _closure(names: list[str], deps: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in seen and name in deps:
            seen.add(name)
            todo += deps[name]
    return seen


def waits_for_tests(doc: Map, all_jobs: list[Job], job: Job) -> bool | None:
    stages = _stages(doc)
    names = [str(s["stage"]) for s in stages]
    # a stage without dependsOn waits for the one before it; `dependsOn: []` for none
    stage_deps = {
        str(s["stage"]): [str(d) for d in _list(s["dependsOn"])] if "dependsOn" in s else names[i - 1 : i]
        for i, s in enumerate(stages)
    }
    mine = job.stage
    earlier = _closure(stage_deps[mine], stage_deps)
    job_deps = {j.name: [str(d) for d in _list(j.node.get("dependsOn"))] for j in all_jobs if j.stage == mine}
    same = _closure(job_deps.get(job.name, []), job_deps)
    before = [j for j in all_jobs if j.stage in earlier or (j.stage == mine and j.name in same)]
    if any(j.tests for j in before) or job.tests_before_release:
        return True
    return False if any(j.tests for j in all_jobs if j is not job) else None


def shallow(doc: Map, job: Job) -> tuple[int, str, str] | None:
    for step in _steps(job.node):
        if isinstance(step, Map) and "checkout" in step:
            if str(step["checkout"]) == "none" or str(step.get("fetchDepth", "")).strip() == "0":
                return None
            depth = step.get("fetchDepth")
            return (
                step.line_of("fetchDepth") if depth is not None else step.line,
                f"checkout with fetchDepth {depth if depth is not None else 'unset (new pipelines: 1)'} "
                "in a job that releases from tags and commits",
                'set `fetchDepth: "0"` on the `- checkout: self` step',
            )
    return (
        job.line,
        "no checkout step: new pipelines fetch only the last commit, and this job releases from tags "
        "and commits",
        'add `- checkout: self` with `fetchDepth: "0"` as the first step',
    )


def provider_rules(doc: Map, all_jobs: list[Job]) -> Iterator[Hit]:
    return iter(())


def schema_view(doc: Map) -> Map:
    """The file as Azure checks it against its schema (see _view). A template's parameters in the
    old form, a mapping of names to defaults, are the list form's names and defaults."""
    view = _view(doc)
    assert isinstance(view, Map)  # a mapping's view is one
    old = doc.get("parameters")
    if isinstance(old, Map):
        listed = Seq(_made(old.line_of(name), name=name, default=_view(value)) for name, value in old.items())
        listed.line, listed.item_lines = old.line, [old.line_of(name) for name in old]
        view["parameters"] = listed
    return view


def _view(value: object) -> object:
    """The file as Azure checks it against its schema: every scalar a string (Azure's YAML reader
    types nothing), and template directives give way to what they may expand to (the items under
    `${{ each }}` or `${{ if }}` take the directive's place), since only the compiled pipeline has
    to fit the schema."""
    if isinstance(value, Map):
        out = Map()
        out.line, out.key_lines = value.line, {}
        for key, item in value.items():
            if not _DIRECTIVE.match(key):
                out[key], out.key_lines[key] = _view(item), value.line_of(key)
            elif isinstance(item, Map) and isinstance(inner := _view(item), Map):
                out.update(inner)  # `${{ if ... }}:` inside a mapping adds its keys
                out.key_lines.update(inner.key_lines)
        return out
    if isinstance(value, Seq):
        seq = Seq()
        seq.line, seq.item_lines = value.line, []
        for item, line in zip(value, value.item_lines, strict=True):
            spliced = _directive_items(item)
            for inner, inner_line in spliced if spliced is not None else [(_view(item), line)]:
                seq.append(inner)
                seq.item_lines.append(inner_line)
        return seq
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, (int, float)) else value


# Azure's YAML reader types no scalar: `batch: true` and `fetchDepth: 0` are strings to it. Its
# schema says so in places (a "boolean" there is a string matching true/false...) and not in others
# (task inputs are JSON booleans): a string fits any scalar type it can be read as.
_BOOLEAN_WORDS = {"true", "false", "y", "yes", "on", "n", "no", "off"}


def _is_boolean(checker: object, value: object) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.lower() in _BOOLEAN_WORDS)


def _is_number(checker: object, value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(re.fullmatch(r"-?\d+(\.\d+)?", value.strip()))


SCALAR_TYPES = {"boolean": _is_boolean, "number": _is_number, "integer": _is_number}


def _directive_items(item: object) -> list[tuple[object, int]] | None:
    """A list item that is only template directives (`- ${{ each x in y }}: [...]`): the items they
    hold, each with its line; None for an ordinary item."""
    if not isinstance(item, Map) or not item or not all(_DIRECTIVE.match(key) for key in item):
        return None
    found: list[tuple[object, int]] = []
    for inner in item.values():
        view = _view(inner)
        if isinstance(view, Seq):
            for nested, line in zip(view, view.item_lines, strict=True):
                found.append((nested, line))
        elif isinstance(view, Map):
            found.append((view, view.line))
    return found
