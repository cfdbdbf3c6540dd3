"""What `ci check` sees in any CI's file: jobs made of shell scripts (and, on GitHub, actions), and
the findings it reports about them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shipyard.ci.lint.yaml import Str

ERROR, WARNING = "error", "warning"

# a name that holds a credential: PYPI_TOKEN, TWINE_PASSWORD, secrets.pypi_api_key...
CREDENTIAL_NAME = (
    r"[A-Za-z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE_KEY|CREDENTIAL)[A-Za-z0-9_]*"
)
SECRET_REF = re.compile(
    rf"(?i)\$\{{\{{\s*secrets\.\w+\s*\}}\}}"  # GitHub ${{ secrets.X }}
    rf"|\$\{{\{{\s*env\.{CREDENTIAL_NAME}\s*\}}\}}"
    rf"|\$\{{?{CREDENTIAL_NAME}\b\}}?"  # shell $X / ${X}
    rf"|\$\({CREDENTIAL_NAME}\)"  # Azure macro $(X)
    r"|\$\[\[\s*variables\.\w+\s*\]\]"
)
SECRET_KEY = re.compile(rf"(?i)^{CREDENTIAL_NAME}$")

# commands that upload to an index (a dry run does not); tests, and what reads versions from git
RELEASES = re.compile(
    r"\btwine\s+upload\b|\b(?:uv|poetry|flit|hatch|pdm)\s+publish\b|setup\.py\b[^\n]*\bupload\b"
    r"|\bshipyard\s+(?:[^\n]*\s)?(?:publish|release)\b(?![^\n]*--dry-run)|\bpaa\s+make-package\b"
)
TESTS = re.compile(
    r"\b(?:pytest|py\.test|tox|nox|unittest)\b|\b(?:make|hatch|\./run\.sh)\s+(?:run\s+)?test\b"
    r"|\b(?:shipyard|paa)\s+test-install\b|\bshipyard\s+release\b[^\n]*--dry-run"
)
FROM_GIT = re.compile(
    r"\bshipyard\s+(?:[^\n]*\s)?(?:release|plan|version)\b|\bgit\s+describe\b|setuptools[-_]scm"
    r"|hatch[-_]vcs|versioningit|dunamai|dynamic-versioning|semantic-release|\bcz\s+bump\b|\bpaa\s"
)
# a job named for its tests: test, tests, unit-tests, test-3.12 (not publish-testpypi)
TEST_NAME = re.compile(r"(?i)(?:^|[^a-z])(?:unit)?tests?(?:[^a-z]|$)")
PUBLISH_ACTIONS = ("pypa/gh-action-pypi-publish",)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    rule: str
    level: str
    message: str
    fix: str

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level} [{self.rule}] {self.message} (fix: {self.fix})"


@dataclass
class Script:
    """One shell script: a `run:`, a GitLab script item, an Azure `bash:`..."""

    text: Str
    secrets: bool  # the step or its job is given credentials
    shell: str = "bash"


@dataclass
class Job:
    name: str
    line: int
    scripts: list[Script] = field(default_factory=list)
    actions: list[Str] = field(default_factory=list)  # GitHub `uses:` of its steps, in order
    deploys: bool = False  # a CI's own upload step (Travis `deploy: provider: pypi`)
    node: Any = None  # the job's mapping in the file
    stage: Any = None  # the stage holding it, where the CI nests jobs in stages (Azure)

    def first(self, pattern: re.Pattern[str]) -> int | None:
        """The index of the first script that matches (actions count as scripts for uploads)."""
        for i, script in enumerate(self.scripts):
            if pattern.search(script.text):
                return i
        return None

    @property
    def releases(self) -> bool:
        uses = any(a.startswith(PUBLISH_ACTIONS) for a in self.actions)
        return self.deploys or uses or self.first(RELEASES) is not None

    @property
    def tests(self) -> bool:
        return bool(TEST_NAME.search(self.name)) or self.first(TESTS) is not None

    @property
    def tests_before_release(self) -> bool:
        """A job that runs the tests, then uploads (steps stop at the first failure)."""
        tested, released = self.first(TESTS), self.first(RELEASES)
        return tested is not None and (released is None or tested < released)

    @property
    def reads_git_history(self) -> bool:
        return self.first(FROM_GIT) is not None

    @property
    def has_secrets(self) -> bool:
        return any(s.secrets for s in self.scripts)


def mentions_secret(value: Any) -> bool:
    """Whether a mapping of variables (or any value) hands a credential over."""
    if isinstance(value, dict):
        return any(SECRET_KEY.match(str(k)) or mentions_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(mentions_secret(v) for v in value)
    return isinstance(value, str) and bool(SECRET_REF.search(value))
