"""CI files that put secrets into logs: `echo $TOKEN`, `set -x` in a job that uses secrets, `cat .pypirc`,
a bare `printenv`, or a credential written literally into the file.

Line-based on purpose: the same patterns appear in GitHub, GitLab, Azure, Travis and Jenkins files,
inside YAML strings and shell blocks alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

# one definition of what names and references a credential, shared with `ci check`
from shipyard.ci.lint.model import CREDENTIAL_NAME, SECRET_REF

if TYPE_CHECKING:
    from shipyard.hygiene.doctor import Finding

CI_GLOBS = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    "azure-pipelines.yml",
    ".azure-pipelines/*.yml",
    ".travis.yml",
    ".circleci/config.yml",
    "bitbucket-pipelines.yml",
    "Jenkinsfile",
)
_ECHO = re.compile(r"\b(?:echo|printf)\b(?P<rest>.*)")
_XTRACE = re.compile(r"\bset\s+-[a-z]*x|\bset\s+-o\s+xtrace\b|\b(?:ba)?sh\s+-[a-z]*x\b")
_CAT = re.compile(
    r"\b(?:cat|type|more|less|head|tail)\s+(?![<>])[^|;&>]*?(?P<file>\.pypirc|\.netrc|\.env\b|PYPIRC_PATH)"
)
_PRINTENV = re.compile(r"^(?:-\s+|run:\s*|script:\s*)*(?:printenv|env|export\s+-p|set)\s*$")
_LITERAL = re.compile(
    rf"^\s*(?:-\s*)?(?:export\s+)?(?P<name>{CREDENTIAL_NAME})\s*[:=]\s*['\"]?(?P<value>[^\s'\"$#{{}}<>]{{8,}})['\"]?\s*$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\.\.\.|xxx|changeme|example|your[-_]|<|\*\*\*", re.IGNORECASE)


def ci_files(root: Path) -> list[Path]:
    return sorted({p for pattern in CI_GLOBS for p in root.glob(pattern) if p.is_file()})


def ci_findings(root: Path) -> list[Finding]:
    findings = []
    for path in ci_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        findings += list(_file_findings(path.relative_to(root).as_posix(), text))
    return findings


def _file_findings(rel: str, text: str) -> Iterator[Finding]:
    from shipyard.hygiene.doctor import Finding

    lines = text.splitlines()
    uses_secrets = any(SECRET_REF.search(line) for line in lines)
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith(("#", "//")):
            continue
        if (echo := _ECHO.search(line)) and (ref := SECRET_REF.search(echo["rest"])):
            yield _echo_finding(rel, number, ref[0], echo["rest"])
        if uses_secrets and _XTRACE.search(line):
            yield Finding(
                "error",
                rel,
                number,
                "shell tracing (set -x) in a file that uses secrets prints commands with secrets expanded",
                "remove set -x (or -x from the shell flags), or set +x around the steps with secrets",
            )
        if cat := _CAT.search(line):
            yield Finding(
                "error",
                rel,
                number,
                f"prints the credential file {cat['file']} to the CI log",
                "do not print credential files; shipyard reads them itself",
            )
        if _PRINTENV.match(line) and uses_secrets:
            yield Finding(
                "warning",
                rel,
                number,
                f"'{line}' prints every variable, the secrets among them",
                "print only the variables you need",
            )
        if (lit := _LITERAL.match(raw)) and not _PLACEHOLDER.search(lit["value"]):
            yield Finding(
                "error",
                rel,
                number,
                f"{lit['name']} is set to a literal value in a committed file",
                "revoke that credential, and take it from the CI's secret store instead",
            )


def _echo_finding(rel: str, number: int, ref: str, rest: str) -> Finding:
    from shipyard.hygiene.doctor import Finding

    if "|" in rest.split(ref, 1)[1]:  # piped into a command (docker login --password-stdin...)
        return Finding(
            "warning",
            rel,
            number,
            f"echo passes {ref} through a pipe; it stays out of the log, but not out of set -x traces",
            "prefer a tool that reads the secret from the environment",
        )
    if ">" in rest:
        return Finding(
            "warning",
            rel,
            number,
            f"writes {ref} into a file (a .pypirc?) that later steps, caches or artifacts may expose",
            "let shipyard read SHIPYARD_<REPO>_TOKEN from the job's environment instead of writing files",
        )
    return Finding(
        "error",
        rel,
        number,
        f"echo prints {ref} to the CI log",
        "remove the echo: CI log masking misses encoded or partial values",
    )
