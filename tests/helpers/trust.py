"""The rule "no credential where the project's code runs", read off a generated pipeline (issue 21,
point 4), and "a trusted-publishing job can sign" (issue 22, point 5).

Each CI's file is cut into steps, each with the shell it runs (or the action it uses) and the
credentials it holds, by that CI's own semantics:
- GitHub: `id-token: write` on the job (or the workflow) reaches every step of the job; `secrets.*`
  and `github.token` reach the steps (or jobs, or the workflow) whose `env` names them; a checkout
  that persists its token leaves it in .git/config for every later step.
- GitLab: `id_tokens`, `environment` (CI/CD variables scoped to it) and secret variables the job
  names reach the whole job; variables without an environment scope reach every job, so a job that
  runs project code must stop when one of the file's credentials is set (its first command).
- Azure: a secret reaches the step whose `env` maps it; TwineAuthenticate's .pypirc and
  `persistCredentials` reach every later step of the job.
- Travis: a variable of the repository settings reaches every job (a job that runs project code
  must stop when one is set, first thing); `secure:` values reach the job that declares them.
Project code: a build, a test-install, pytest/tox/nox, pip installing the project, cibuildwheel, and
`shipyard release` unless it only publishes files built elsewhere (`--dists` and `--no-test-install`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PROJECT_CODE = re.compile(
    r"\bshipyard\s+(?:build|test-install|assemble)\b"
    r"|\bpython\s+-m\s+build\b|\bsetup\.py\b|\b(?:pytest|tox|nox)\b"
    r"|\bpip\s+install\b[^\n]*(?:\s\.(?:\s|$|\[)|\s-e\s)"
)
RELEASE = re.compile(r"\bshipyard\s+release\b[^\n]*")
SET_URL_TOKEN = re.compile(r"\bgit\s+remote\s+set-url\b[^\n]*(?:TOKEN|PASSWORD|\$\{?\w*:\S*@)", re.I)
PROJECT_ACTIONS = ("pypa/cibuildwheel",)
SIGNING_INSTALL = re.compile(r"shipyard-release\[[^\]]*\battest\b|SIGNING_REQUIREMENT")


@dataclass
class Step:
    where: str  # job (and step) for the message
    text: str  # the shell it runs, or the action it uses
    credentials: list[str] = field(default_factory=list)
    guarded: bool = False  # the job stops first thing when a settings variable reaches it


def runs_project_code(text: str) -> bool:
    if PROJECT_CODE.search(text) or text.startswith(PROJECT_ACTIONS):
        return True
    # a release that builds, or test-installs (runs the project's tests), is project code
    return any(not ("--dists" in line and "--no-test-install" in line) for line in RELEASE.findall(text))


def is_guard(text: str, names: list[str]) -> bool:
    """A command that fails when any of `names` is set (tests/ci/test_ci_trust.py runs it for real)."""
    words = set(re.findall(r"[A-Z_][A-Z0-9_]*", text))
    return "printenv" in text and "exit 1" in text and set(names) <= words


def violations(ci: str, doc: dict[str, Any], names: list[str]) -> list[str]:
    """Every step that runs project code where a credential is, and every token written to
    .git/config; empty when the pipeline keeps them apart."""
    found = []
    for step in STEPS[ci](doc, names):
        if SET_URL_TOKEN.search(step.text):
            found.append(f"{step.where}: `git remote set-url` writes a token into .git/config")
        if not runs_project_code(step.text):
            continue
        if step.credentials:
            found.append(f"{step.where} runs project code with {', '.join(step.credentials)}")
        elif not step.guarded and ci in ("gitlab", "travis"):
            found.append(f"{step.where} runs project code where settings variables reach every job")
    return found


def _secret_names(value: object, names: list[str]) -> list[str]:
    """The credentials a value (env mapping, script) names."""
    text = str(value)
    hits = [n for n in names if re.search(rf"\b{n}\b", text)]
    hits += re.findall(r"secrets\.\w+", text)
    hits += ["github.token"] * ("github.token" in text) + ["System.AccessToken"] * (
        "System.AccessToken" in text
    )
    return sorted(set(hits))


def _github(doc: dict[str, Any], names: list[str]) -> Iterator[Step]:
    top = doc.get("permissions") or {}
    top_creds = ["id-token"] * (isinstance(top, dict) and top.get("id-token") == "write")
    top_creds += _secret_names(doc.get("env", {}), names)
    for name, job in doc["jobs"].items():
        perms = job.get("permissions", {})
        creds = top_creds + ["id-token"] * (isinstance(perms, dict) and perms.get("id-token") == "write")
        creds += _secret_names(job.get("env", {}), names)
        persisted: list[str] = []
        for i, step in enumerate(job.get("steps", [])):
            uses = step.get("uses", "")
            text = step.get("run", uses)
            own = _secret_names(step.get("env", {}), names) + _secret_names(step.get("run", ""), names)
            yield Step(f"{name} step {i + 1}", text, sorted(set(creds + own + persisted)))
            if (
                uses.startswith("actions/checkout@")
                and str(step.get("with", {}).get("persist-credentials", "true")).lower() != "false"
            ):
                persisted = ["the checkout's token in .git/config"]


GITLAB_RESERVED = {"stages", "variables", "default", "workflow", "include", "image", "services", "cache"}


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _gitlab(doc: dict[str, Any], names: list[str]) -> Iterator[Step]:
    default = doc.get("default", {})
    for name, job in doc.items():
        if name in GITLAB_RESERVED or name.startswith(".") or not isinstance(job, dict):
            continue
        before = _listed(job.get("before_script", default.get("before_script")))
        commands = before + _listed(job.get("script")) + _listed(job.get("after_script"))
        guarded = bool(commands) and is_guard(commands[0], names)
        creds = ["id_tokens"] * ("id_tokens" in job) + ["environment-scoped variables"] * (
            "environment" in job
        )
        creds += _secret_names(job.get("variables", {}), names)
        creds += _secret_names(commands[1:] if guarded else commands, names)  # the guard names them all
        for command in commands:
            yield Step(name, command, sorted(set(creds)), guarded)


def _azure(doc: dict[str, Any], names: list[str]) -> Iterator[Step]:
    for stage in doc.get("stages", []):
        for job in stage.get("jobs", []):
            later: list[str] = []
            for i, step in enumerate(job.get("steps", [])):
                where = f"{stage['stage']}/{job.get('job')} step {i + 1}"
                if str(step.get("task", "")).startswith("TwineAuthenticate@"):
                    later.append("TwineAuthenticate's .pypirc")
                if str(step.get("persistCredentials", "false")).lower() == "true":
                    later.append("persistCredentials")
                    yield Step(where, "persistCredentials: true  # git remote set-url TOKEN", later)
                text = step.get("bash", step.get("script", ""))
                own = _secret_names(step.get("env", {}), names) + _secret_names(text, names)
                yield Step(where, text, sorted(set(later + own)))


TRAVIS_PHASES = ("before_install", "install", "before_script", "script", "after_success", "deploy")


def _travis(doc: dict[str, Any], names: list[str]) -> Iterator[Step]:
    jobs = [("matrix", doc)] + [
        (f"{j.get('stage', 'test')} job", {**j}) for j in doc.get("jobs", {}).get("include", [])
    ]
    for name, job in jobs:
        commands = [c for phase in TRAVIS_PHASES for c in _listed(job.get(phase, doc.get(phase)))]
        creds = ["secure env"] * ("secure" in str(job.get("env", doc.get("env", ""))))
        guarded = bool(commands) and is_guard(commands[0], names)
        for command in commands:
            yield Step(name, command, creds, guarded)


STEPS = {"github": _github, "gitlab": _gitlab, "azure": _azure, "travis": _travis}


def shell_scripts(node: object) -> Iterator[str]:
    """Every shell text in a pipeline (run, script, bash... values; list items one by one)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "before_script", "bash", "install") and isinstance(value, str):
                yield value
            else:
                yield from shell_scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from (item,) if isinstance(item, str) else shell_scripts(item)


def signing_gaps(ci: str, doc: dict[str, Any]) -> list[str]:
    """Jobs that hold an id token and publish but cannot sign PEP 740 attestations: shipyard without
    its `attest` extra, or (GitLab) no Sigstore id token."""
    found = []
    if ci == "github":
        for name, job in doc["jobs"].items():
            runs = "\n".join(s.get("run", "") for s in job.get("steps", []))
            if job.get("permissions", {}).get("id-token") != "write" or not _publishes(runs):
                continue
            if not SIGNING_INSTALL.search(runs) or "--no-attest" in runs:
                found.append(f"{name} holds an id-token and publishes, but installs no attest extra")
    elif ci == "gitlab":
        for name, job in doc.items():
            if not isinstance(job, dict) or "id_tokens" not in job:
                continue
            runs = "\n".join(_listed(job.get("before_script")) + _listed(job.get("script")))
            if not SIGNING_INSTALL.search(runs) or "--no-attest" in runs:
                found.append(f"{name} holds id tokens, but installs no attest extra")
            if "SIGSTORE_ID_TOKEN" not in job["id_tokens"]:
                found.append(f"{name} has no SIGSTORE_ID_TOKEN to sign with")
    return found


def _publishes(runs: str) -> bool:
    return bool(re.search(r"\bshipyard\s+(?:publish|release)\b(?![^\n]*--dry-run)", runs))
