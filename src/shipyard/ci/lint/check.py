"""`shipyard ci check`: lint existing pipeline files for release hygiene.

Each file is read into values that keep their line (lintyaml), checked against its CI's schema
(check-jsonschema's vendored copy, validated with jsonschema), then cut into jobs of shell scripts
(one module per CI) on which the same rules run everywhere: the release waits for the tests, no
credential reaches the log, the history is complete where versions come from tags, commands that are
gone or guess are named, and every script parses with `bash -n`.

`secrets_shown` is doctor's CI check: only the rules on credentials shown in a log, through the same
job model, and on files of CIs with no model here (a Jenkinsfile) read as one script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import yaml

from shipyard.ci.lint import azure, github, gitlab, travis
from shipyard.ci.lint import shell as lintshell
from shipyard.ci.lint.findings import ERROR, WARNING, Finding
from shipyard.ci.lint.model import Job, Script
from shipyard.ci.lint.yaml import Map, Str, line_at, load
from shipyard.errors import UsageError

# where each CI looks for its file, relative to the project
CONVENTIONAL = {
    "github": [".github/workflows/*.yml", ".github/workflows/*.yaml"],
    "gitlab": [".gitlab-ci.yml"],
    "azure": ["azure-pipelines.yml", ".azure-pipelines.yml"],
    "travis": [".travis.yml"],
}


def discover(root: Path) -> list[Path]:
    found = [p for patterns in CONVENTIONAL.values() for g in patterns for p in sorted(root.glob(g))]
    if not found:
        raise UsageError(
            f"no pipeline file in {root.resolve()} (looked for .github/workflows/*.yml, .gitlab-ci.yml, "
            "azure-pipelines.yml, .travis.yml): name the files to check"
        )
    return found


class Provider(Protocol):
    """What each CI's module of ci/lint gives (github.py, gitlab.py, azure.py, travis.py)."""

    SCHEMA: str  # its schema's name in check-jsonschema

    def jobs(self, doc: Map) -> list[Job]: ...
    def waits_for_tests(self, doc: Map, all_jobs: list[Job], job: Job) -> bool | None: ...
    def shallow(self, doc: Map, job: Job) -> tuple[int, str, str] | None: ...
    def provider_rules(self, doc: Map, all_jobs: list[Job]) -> Iterator[lintshell.Hit]: ...


RULES: dict[str, Provider] = {"github": github, "gitlab": gitlab, "azure": azure, "travis": travis}
# what doctor reads for credentials shown in a log: the files above, Azure's folder of pipelines,
# and files of CIs with no model here, each read as one script
MODELLED = [*(g for patterns in CONVENTIONAL.values() for g in patterns), ".azure-pipelines/*.yml"]
UNMODELLED = [".circleci/config.yml", "bitbucket-pipelines.yml", "Jenkinsfile"]


def provider_of(path: Path, doc: object) -> str:
    """Which CI a file is for: from its conventional name, else from its top-level keys."""
    text = path.as_posix()
    if "/.github/workflows/" in f"/{text}":
        return "github"
    if "/.azure-pipelines/" in f"/{text}":
        return "azure"
    name = path.name.lower()
    for ci, hint in (("gitlab", "gitlab-ci"), ("azure", "azure-pipelines"), ("travis", "travis")):
        if hint in name:
            return ci
    keys = set(doc) if isinstance(doc, dict) else set()
    if "jobs" in keys and "on" in keys:
        return "github"
    if keys & {"language", "dist", "os"}:
        return "travis"
    if _azure_shaped(doc) if isinstance(doc, dict) else False:
        return "azure"
    return "gitlab"


def _azure_shaped(doc: dict[str, object]) -> bool:
    """Azure's top-level keys, templates included: `jobs`, `steps` and `stages` lists (GitLab's
    `stages` is a list of names), a template's `parameters` or `extends: template:`. In a GitLab file
    each of these names would be a job: a mapping with its `script`."""
    if doc.keys() & {"trigger", "pool", "pr", "steps"} or isinstance(doc.get("jobs"), list):
        return True
    stages, extends, parameters = doc.get("stages"), doc.get("extends"), doc.get("parameters")
    if isinstance(stages, list) and any(isinstance(s, dict) for s in stages):
        return True
    if isinstance(extends, dict) and "template" in extends:
        return True
    job_keys = {"script", "trigger", "extends", "stage", "image"}
    return isinstance(parameters, list) or (isinstance(parameters, dict) and not parameters.keys() & job_keys)


def check(paths: list[Path], root: Path) -> list[Finding]:
    findings: list[Finding] = []
    vcs = versions_from_vcs(root)
    for path in paths:
        findings += check_file(path, shown(path, root), vcs_versions=vcs)
    return findings


def versions_from_vcs(root: Path) -> bool:
    """Whether the project's build reads its version from git tags (setuptools-scm, hatch-vcs...)."""
    path = root / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
    except OSError:
        return False
    return bool(
        re.search(r"setuptools[-_]scm|hatch[-_]vcs|versioningit|dynamic-versioning|pdm-backend.*scm", text)
    )


def shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def check_file(path: Path, shown: str, *, vcs_versions: bool = False) -> list[Finding]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        doc = load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return [Finding(shown, line, "yaml", ERROR, f"not valid YAML: {exc}".splitlines()[0], "fix the YAML")]
    if not isinstance(doc, Map):
        return [Finding(shown, 1, "yaml", ERROR, "the file is not a YAML mapping", "fix the YAML")]
    ci = provider_of(path, doc)
    module = RULES[ci]
    hits = [
        *_schema(azure.schema_view(doc) if ci == "azure" else doc, module.SCHEMA, ci),
        *_rules(module, doc, vcs_versions),
        *_old_urls(doc),
        *lintshell.literals(text, _throwaway(ci, doc)),
    ]
    return _sorted(shown, hits)


def _throwaway(ci: str, doc: Map) -> frozenset[str]:
    """The passwords of the file's own service containers (GitHub `services:`): no credential."""
    return github.service_credentials(doc) if ci == "github" else frozenset()


def _sorted(shown: str, hits: list[lintshell.Hit]) -> list[Finding]:
    found = {Finding(shown, *hit) for hit in hits}
    return sorted(found, key=lambda f: (f.line or 0, f.rule, f.message))


def secrets_shown(root: Path) -> list[Finding]:
    """The CI files under `root` that show a credential in a log (or hold one literally)."""
    findings: list[Finding] = []
    for modelled, patterns in ((True, MODELLED), (False, UNMODELLED)):
        for path in sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()}):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            doc = _doc(text) if modelled else None
            ci = provider_of(path, doc) if doc is not None else ""
            hits = [*lintshell.literals(text, _throwaway(ci, doc) if doc is not None else frozenset())]
            for script in _scripts(path, doc) if doc is not None else [lintshell.file_script(text)]:
                hits += lintshell.secrets(script)
            findings += _sorted(path.relative_to(root).as_posix(), hits)
    return findings


def _doc(text: str) -> Map | None:
    try:
        doc = load(text)
    except yaml.YAMLError:
        return None
    return doc if isinstance(doc, Map) else None


def _scripts(path: Path, doc: Map) -> list[Script]:
    """The scripts of a file's jobs."""
    return [script for job in RULES[provider_of(path, doc)].jobs(doc) for script in job.scripts]


def _schema(doc: Map, schema_name: str, ci: str) -> Iterator[lintshell.Hit]:
    try:
        import jsonschema
        from check_jsonschema.builtin_schemas import get_builtin_schema
    except ImportError:
        yield (
            1,
            "schema",
            WARNING,
            f"not checked against the {ci} schema: check-jsonschema is not installed",
            "pip install 'shipyard-release[ci]'",
        )
        return
    schema = get_builtin_schema(schema_name)
    kind = jsonschema.validators.validator_for(schema)
    if ci == "azure":
        kind = jsonschema.validators.extend(
            kind, type_checker=kind.TYPE_CHECKER.redefine_many(azure.SCALAR_TYPES)
        )
    validator = kind(schema, format_checker=jsonschema.FormatChecker())
    seen = set()
    for error in validator.iter_errors(doc):
        best = jsonschema.exceptions.best_match([error])
        if isinstance(best.instance, str) and "${{" in best.instance:
            continue  # a value the CI fills in when it compiles or runs the pipeline: unknown here
        if ci == "github" and _one_filter(list(best.absolute_path), best.instance, best.validator):
            continue
        where = "/".join(str(p) for p in best.absolute_path) or "(top)"
        if where in seen:  # one finding per place: the alternatives of an anyOf say the same
            continue
        seen.add(where)
        yield (
            line_at(doc, list(best.absolute_path)),
            "schema",
            ERROR,
            f"{where}: {_short(best.message)}",
            f"see the {ci} reference for this key",
        )


def _one_filter(path: list[object], instance: object, validator: object) -> bool:
    """GitHub takes one string where the schema wants a list of filters (`on: push: branches: main`,
    psf/black's workflows): it reads it as a list of one."""
    return bool(path) and path[0] == "on" and isinstance(instance, str) and validator == "type"


def _short(message: str, limit: int = 160) -> str:
    one = " ".join(message.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def _rules(module: Provider, doc: Map, vcs_versions: bool) -> Iterator[lintshell.Hit]:
    jobs = module.jobs(doc)
    for job in jobs:
        for script in job.scripts:
            yield from lintshell.findings(script)
        if not job.releases:
            continue
        waits = module.waits_for_tests(doc, jobs, job)
        if waits is False:
            yield (
                job.line,
                "release-needs-tests",
                ERROR,
                f"job {job.name} releases without waiting for the tests",
                _NEEDS_FIX[module.SCHEMA],
            )
        elif waits is None:
            yield (
                job.line,
                "release-needs-tests",
                WARNING,
                f"job {job.name} releases, and no job of this file runs tests",
                "run the tests in this pipeline before the release job",
            )
        if vcs_versions or job.reads_git_history:
            shallow = module.shallow(doc, job)
            if shallow:
                yield (shallow[0], "shallow-clone", ERROR, shallow[1], shallow[2])
    yield from module.provider_rules(doc, jobs)


def _old_urls(doc: object) -> Iterator[lintshell.Hit]:
    """pypi.python.org and testpypi.python.org took their last upload in 2017."""
    found = _OLD_URL.search(doc) if isinstance(doc, Str) else None
    if isinstance(doc, Str) and found:
        yield (
            doc.line_of(found[0]),
            "old-index-url",
            ERROR,
            f"{found[0]} accepts no uploads any more",
            "upload to https://upload.pypi.org/legacy/ (test.pypi.org/legacy/ for TestPyPI): shipyard's "
            "built-in pypi and testpypi repositories",
        )
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _old_urls(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _old_urls(value)


_OLD_URL = re.compile(r"(?:test)?pypi\.python\.org(?:/pypi)?")
_NEEDS_FIX = {
    "vendor.github-workflows": "add the test job to the release job's `needs:`",
    "vendor.gitlab-ci": "put the release in a later stage than the tests, or list the tests in its `needs:`",
    "vendor.azure-pipelines": "make the release stage (or job) `dependsOn` the one that tests",
    "vendor.travis": "release in a stage listed after `test` under `stages:`",
}
