"""Rules on the shell scripts of any CI: credentials never shown in the log (the one set of those
rules: `doctor` runs them too), commands that are gone or guess, and scripts that bash cannot parse."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

from shipyard.ci.lint.findings import ERROR, WARNING, Level
from shipyard.ci.lint.model import CREDENTIAL_NAME, SECRET_REF, Script
from shipyard.ci.lint.yaml import Str

# (line in the file, rule, level, message, fix)
Hit = tuple[int, str, Level, str, str]

_XTRACE = re.compile(r"\bset\s+-[a-zA-Z]*x|\bset\s+-o\s+xtrace\b|\b(?:ba)?sh\s+-[a-zA-Z]*x[a-zA-Z]*\b")
# a credential file read to the log (not one written: `cat > ~/.pypirc <<EOF` is no finding)
_SHOW_FILE = re.compile(
    r"\b(?:cat|less|more|head|tail|type)\s+[^|;&>\n]*?"
    r"(?P<file>\.pypirc|PYPIRC_PATH|\.netrc|\.git-credentials|(?<![\w.-])\.env\b)"
)
# a command alone, or after a YAML item or key where a whole file is read as one script
_DUMP = re.compile(
    r"(?:^(?:-\s+|run:\s*|script:\s*)*|[;&|(]\s*)(?:printenv|env|export\s+-p|declare\s+-[pxX]*|set)\s*(?:$|[|>;&)])"
)
_ECHO = re.compile(r"\b(?:echo|printf)\b")
_LITERAL = re.compile(
    rf"^\s*(?:-\s*)?(?:export\s+)?(?P<name>{CREDENTIAL_NAME})\s*[:=]\s*['\"]?(?P<value>[^\s'\"$#{{}}<>]{{8,}})['\"]?\s*$",
    re.IGNORECASE,
)
# a value that says it is none: `...`, `<token>`, `changeme`, `django_tests_secret_key`, `fake-key`
_PLACEHOLDER = re.compile(
    r"\.\.\.|xxx|changeme|example|your[-_]|<|\*\*\*|(?:^|[^a-z])(?:tests?|dummy|fake)(?:[^a-z]|$)",
    re.IGNORECASE,
)
_SETUP_PY = re.compile(r"\bsetup\.py\b[^\n|;&]*\b(upload|register|sdist|bdist_wheel|bdist)\b")
_SKIP_EXISTING = re.compile(r"\btwine\s+upload\b[^\n]*--skip-existing")
_GH_COMMAND = re.compile(r"::(set-output|save-state|set-env|add-path)\b")
# GitHub/Azure template expressions are replaced before bash reads the script
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]")


def findings(script: Script) -> Iterator[Hit]:
    yield from secrets(script)  # whatever the shell: CI expressions are replaced before it runs
    if script.shell not in ("bash", "sh"):
        return
    yield from _commands(script)
    yield from _syntax(script)


def file_script(text: str) -> Script:
    """A whole file as one script (a Jenkinsfile, or a CI file with no model here), given
    credentials when it references any."""
    whole = Str(text)
    whole.source = text.splitlines()
    whole.line, whole.end = 1, len(whole.source)
    return Script(whole, bool(SECRET_REF.search(text)))


def _lines(script: Script) -> Iterator[tuple[int, str]]:
    after = 0  # a line repeated in the script is found on its own line of the file
    for raw in script.text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "//")):  # `//`: a Jenkinsfile read as one script
            number = script.text.line_of(raw, after)
            after = number + 1
            yield number, line


def secrets(script: Script) -> Iterator[Hit]:
    """A credential shown in the log: echoed, traced, read from its file, or dumped with the rest."""
    for number, line in _lines(script):
        yield from _echo(number, line)
        if script.secrets and _XTRACE.search(line):
            yield _xtrace(number, expands=bool(SECRET_REF.search(script.text)))
        if shown := _SHOW_FILE.search(line):
            yield (
                number,
                "secret-dump",
                ERROR,
                f"prints the credential file {shown['file']} to the log",
                "never show .pypirc/.env/.netrc/.git-credentials; `shipyard publish --dry-run` says what "
                "would be used",
            )
        elif script.secrets and _DUMP.search(line):
            yield (
                number,
                "secret-dump",
                ERROR,
                "dumps the environment, credentials included, to the log",
                "print only the variables you need, by name",
            )


def _xtrace(number: int, *, expands: bool) -> Hit:
    """Tracing prints each command after expansion: a credential the script expands is shown; one
    that is only in the environment is not, until a later line expands it."""
    if expands:
        return (
            number,
            "secret-xtrace",
            ERROR,
            "shell tracing (set -x) in a script that expands a credential prints it",
            "drop -x here (or set +x around the lines with secrets), or trace in a step without secrets",
        )
    return (
        number,
        "secret-xtrace",
        WARNING,
        "shell tracing (set -x) in a step given credentials: a line that expands one would print it",
        "trace in a step that is given no credentials, or set +x before any line that uses one",
    )


def _echo(number: int, line: str) -> Iterator[Hit]:
    echo = _ECHO.search(line)
    shown = SECRET_REF.search(line[echo.end() :]) if echo else None
    if not echo or not shown or "::add-mask::" in line:
        return
    rest = line[echo.end() + shown.end() :]
    if re.match(r"[^|]*\|", rest):
        return  # piped to a command (docker login --password-stdin): never shown
    if re.match(r"[^>]*>>?\s*[^&\s]", rest):
        yield (
            number,
            "secret-to-file",
            WARNING,
            f"writes a credential into a file ({shown[0]}): it outlives the step on the runner, and "
            "later steps, caches or artifacts may expose it",
            "let shipyard read SHIPYARD_<REPO>_TOKEN from the environment; no credential file",
        )
    else:
        yield (
            number,
            "secret-echo",
            ERROR,
            f"echo prints a credential to the log ({shown[0]})",
            "remove the echo (CI log masking misses encoded or partial values); pass the value through "
            "the environment only",
        )


def literals(text: str, throwaway: frozenset[str] = frozenset()) -> Iterator[Hit]:
    """A credential written literally into a committed file (any CI file, YAML or not). `throwaway`:
    the passwords the file gives its own service containers (a test database, MinIO): they open
    nothing outside the job, and the job's tests repeat them to reach the service."""
    for number, raw in enumerate(text.splitlines(), 1):
        literal = _LITERAL.match(raw)
        if literal and literal["value"] not in throwaway and not _PLACEHOLDER.search(literal["value"]):
            yield (
                number,
                "secret-literal",
                ERROR,
                f"{literal['name']} is set to a literal value in a committed file",
                "revoke that credential, and take it from the CI's secret store instead",
            )


def _commands(script: Script) -> Iterator[Hit]:
    for number, line in _lines(script):
        if m := _SETUP_PY.search(line):
            gone = m[1] in ("upload", "register")
            yield (
                number,
                "setup-py",
                ERROR if gone else WARNING,
                f"`setup.py {m[1]}` is "
                + ("gone (no upload through setup.py anymore)" if gone else "deprecated (setuptools)"),
                "`shipyard build` (PEP 517 sdist and wheel) and `shipyard publish`",
            )
        if _SKIP_EXISTING.search(line):
            yield (
                number,
                "twine-skip-existing",
                WARNING,
                "`twine upload --skip-existing` guesses from the index's error text, and skips a file of "
                "the same name even when its content differs",
                "`shipyard publish`: skips only files with the same sha256, else fails naming both hashes",
            )
        if m := _GH_COMMAND.search(line):
            disabled = m[1] in ("set-env", "add-path")
            target = "$GITHUB_ENV" if m[1] == "set-env" else "$GITHUB_PATH" if disabled else None
            target = target or ("$GITHUB_OUTPUT" if m[1] == "set-output" else "$GITHUB_STATE")
            yield (
                number,
                "deprecated-command",
                ERROR if disabled else WARNING,
                f"the `::{m[1]}` workflow command is " + ("disabled" if disabled else "deprecated"),
                f'echo "name=value" >> "{target}"',
            )


def _syntax(script: Script) -> Iterator[Hit]:
    text = _EXPRESSION.sub("X", str(script.text))
    parsed = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, check=False)
    if parsed.returncode == 0:
        return
    message = parsed.stderr.strip().splitlines()[0] if parsed.stderr.strip() else "bash -n failed"
    where = re.search(r"line (\d+):", message)
    number = script.text.line
    if where:
        wanted = int(where[1])
        lines = str(script.text).splitlines()
        if 0 < wanted <= len(lines) and lines[wanted - 1].strip():
            number = script.text.line_of(lines[wanted - 1])
        else:
            number = script.text.end if wanted > len(lines) else number
    yield (
        number,
        "bash-syntax",
        ERROR,
        "the script does not parse: " + re.sub(r"^bash: (?:line \d+: )?", "", message),
        "fix the shell syntax (check locally with `bash -n`)",
    )
