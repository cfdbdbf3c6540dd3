"""Rules on the shell scripts of any CI: credentials never shown, commands that are gone or guess,
and scripts that bash cannot even parse."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

from shipyard.ci.lint.model import ERROR, SECRET_REF, WARNING, Script

# (line in the file, rule, level, message, fix)
Hit = tuple[int, str, str, str, str]

_XTRACE = re.compile(r"\bset\s+-[a-zA-Z]*x|\bset\s+-o\s+xtrace\b|\b(?:ba)?sh\s+-[a-zA-Z]*x[a-zA-Z]*\b")
_SHOW_FILE = re.compile(
    r"\b(?:cat|less|more|head|tail|type)\s+[^|;&\n]*(?:\.pypirc|PYPIRC_PATH|\.netrc|\.git-credentials|(?:^|[\s/])\.env\b)"
)
_DUMP = re.compile(r"(?:^|[;&|(]\s*)(?:printenv|env|export\s+-p|declare\s+-[pxX]*|set)\s*(?:$|[|>;&)])")
_ECHO = re.compile(r"\b(?:echo|printf)\b")
_SETUP_PY = re.compile(r"\bsetup\.py\b[^\n|;&]*\b(upload|register|sdist|bdist_wheel|bdist)\b")
_SKIP_EXISTING = re.compile(r"\btwine\s+upload\b[^\n]*--skip-existing")
_GH_COMMAND = re.compile(r"::(set-output|save-state|set-env|add-path)\b")
# GitHub/Azure template expressions are replaced before bash reads the script
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}|\$\[\[.*?\]\]")


def findings(script: Script) -> Iterator[Hit]:
    if script.shell not in ("bash", "sh"):
        return
    yield from _secrets(script)
    yield from _commands(script)
    yield from _syntax(script)


def _lines(script: Script) -> Iterator[tuple[int, str]]:
    for raw in script.text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            yield script.text.line_of(raw), line


def _secrets(script: Script) -> Iterator[Hit]:
    for number, line in _lines(script):
        echo = _ECHO.search(line)
        shown = SECRET_REF.search(line[echo.end() :]) if echo else None
        if echo and shown and "::add-mask::" not in line:
            rest = line[echo.end() + shown.end() :]
            if re.match(r"[^|]*\|", rest):
                pass  # piped to a command (docker login --password-stdin): never shown
            elif re.match(r"[^>]*>>?\s*[^&\s]", rest):
                yield (
                    number,
                    "secret-to-file",
                    WARNING,
                    f"writes a credential into a file ({shown[0]}): it outlives the step on the runner",
                    "let shipyard read SHIPYARD_<REPO>_TOKEN from the environment; no credential file",
                )
            else:
                yield (
                    number,
                    "secret-echo",
                    ERROR,
                    f"prints a credential to the log ({shown[0]})",
                    "remove the echo; pass the value through the environment only",
                )
        if script.secrets and _XTRACE.search(line):
            yield (
                number,
                "secret-xtrace",
                ERROR,
                "shell tracing (set -x) in a step that is given credentials prints them",
                "drop -x here, or trace in a step without secrets",
            )
        if _SHOW_FILE.search(line):
            yield (
                number,
                "secret-dump",
                ERROR,
                "prints a credential file to the log",
                "never show .pypirc/.env/.netrc; `shipyard publish --dry-run` says what would be used",
            )
        elif script.secrets and _DUMP.search(line):
            yield (
                number,
                "secret-dump",
                ERROR,
                "dumps the environment, credentials included, to the log",
                "print only the variables you need, by name",
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
