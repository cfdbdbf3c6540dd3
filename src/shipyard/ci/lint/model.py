"""What `ci check` sees in any CI's file: jobs made of shell scripts (and, on GitHub, actions), and
the patterns that name a credential, a release, a test run."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shipyard.ci.lint.yaml import Map, Str

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
    r"|hatch[-_]vcs|versioningit|dunamai|dynamic-versioning|semantic-release|\bcz\s+bump\b"
)  # not paa: it versions from its .paa/tracking files and diffs the last few commits only
# a job named for its tests: test, tests, unit-tests, test-3.12 (not publish-testpypi, not
# release-test-pypi or publish-to-test-pypi: those name the index they upload to)
TEST_NAME = re.compile(r"(?i)(?:^|[^a-z])(?:unit)?tests?(?![-_. ]?pypi)(?:[^a-z]|$)")
PUBLISH_ACTIONS = ("pypa/gh-action-pypi-publish",)
# variables only an upload reads: a job handed one from the secret store publishes, even where the
# upload is inside a script of the repository (`scripts/publish` with TWINE_PASSWORD)
UPLOAD_CREDENTIAL = re.compile(
    r"(?i)^(?:TWINE_PASSWORD|UV_PUBLISH_(?:TOKEN|PASSWORD)|POETRY_PYPI_TOKEN_\w+|FLIT_PASSWORD"
    r"|PDM_PUBLISH_PASSWORD|HATCH_INDEX_AUTH)$"
)


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
    node: Map  # the job's mapping in the file
    scripts: list[Script] = field(default_factory=list)
    actions: list[Str] = field(default_factory=list)  # GitHub `uses:` of its steps, in order
    deploys: bool = False  # a CI's own upload step (Travis `deploy: provider: pypi`)
    stage: str = ""  # the name of the stage holding it, where the CI has stages (Azure, Travis)

    def first(self, pattern: re.Pattern[str]) -> int | None:
        """The index of the first script that matches (actions count as scripts for uploads)."""
        for i, script in enumerate(self.scripts):
            if pattern.search(_uncommented(script.text)):
                return i
        return None

    @property
    def releases(self) -> bool:
        uses = any(a.startswith(PUBLISH_ACTIONS) for a in self.actions)
        return self.deploys or uses or self.first(RELEASES) is not None

    @property
    def tests(self) -> bool:
        # a job that uploads is not a test job for its name alone (`test-release`, `deploy-tests`)
        named = bool(TEST_NAME.search(self.name)) and not self.releases
        return named or self.first(TESTS) is not None

    @property
    def tests_before_release(self) -> bool:
        """A job that runs the tests, then uploads (steps stop at the first failure)."""
        tested, released = self.first(TESTS), self.first(RELEASES)
        return tested is not None and (released is None or tested < released)

    @property
    def reads_git_history(self) -> bool:
        return self.first(FROM_GIT) is not None


def _uncommented(text: str) -> str:
    """A script without its comment lines: `# paa test-install ...` runs nothing."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def hands_upload_credential(env: object) -> bool:
    """Whether a mapping of variables gives an index upload credential from the secret store."""
    if not isinstance(env, dict):
        return False
    return any(UPLOAD_CREDENTIAL.match(str(k)) and mentions_secret(v) for k, v in env.items())


def mentions_secret(value: object) -> bool:
    """Whether a mapping of variables (or any value) hands a credential over."""
    if isinstance(value, dict):
        return any(SECRET_KEY.match(str(k)) or mentions_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(mentions_secret(v) for v in value)
    return isinstance(value, str) and bool(SECRET_REF.search(value))
