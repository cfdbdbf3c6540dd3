"""Errors that end a command: each carries its one-line message and its exit code.

Exit codes are a contract (EXIT_CODES, published as docs/reference/exit-codes.md): 0 done, 1 a
release step failed, 2 usage or configuration error, 3 nothing to release.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = [
    "EXIT_CODES",
    "EXIT_CONTRACT",
    "EXIT_FAILED",
    "EXIT_NOTHING",
    "EXIT_OK",
    "EXIT_USAGE",
    "AuthError",
    "BuildError",
    "CheckError",
    "ConfigError",
    "ConflictError",
    "CredentialError",
    "GitError",
    "IndexError_",
    "InstallError",
    "NothingToRelease",
    "ShipyardError",
    "StepFailed",
    "UsageError",
    "VerifyError",
    "WriteError",
    "did_you_mean",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOTHING = 3

# code -> (name, meaning): the contract, as the docs' exit-codes page shows it (docs/gen/reference.py)
EXIT_CODES: dict[int, tuple[str, str]] = {
    EXIT_OK: ("EXIT_OK", 'done, including "already published, identical"'),
    EXIT_FAILED: (
        "EXIT_FAILED",
        "a release step failed (build, check, tests, upload refused, index down, verification)",
    ),
    EXIT_USAGE: (
        "EXIT_USAGE",
        "usage or configuration error: bad config or arguments, missing credential, another run "
        "holding the working tree's lock, a lock file a killed git left (named: remove it), a release "
        "whose record an earlier run left unfinished asked for with another command, a file of the "
        "same name with other content already on the index (bump the version)",
    ),
    EXIT_NOTHING: (
        "EXIT_NOTHING",
        "nothing to release: `release --bump` with no releasing commit since the last tag, "
        "`--if-branch` on another branch",
    ),
}
EXIT_CONTRACT = (
    "Every error is one line on stderr, `error: <what is wrong and what to do>`, and ends the command "
    "with the code of its kind; Ctrl-C ends it with 130, SIGTERM (a cancelled CI job) with 143, "
    "temporary files removed."
)

_E = TypeVar("_E", bound="ShipyardError")


class ShipyardError(Exception):
    """An expected failure: `cli` prints `error: <message>` and exits with `exit_code`."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # longer context (backend output...), shown with --verbose

    def __str__(self) -> str:
        return self.message

    def extended(self: _E, suffix: str) -> _E:
        """A new error of the same class with the same attributes (detail, a retry hint...), its
        message followed by `suffix`; made without `__init__`, whose arguments a subclass may change."""
        message = f"{self.message}{suffix}"
        more = type(self).__new__(type(self), message)  # BaseException.__new__ sets args
        more.__dict__.update(self.__dict__, message=message)
        return more


class UsageError(ShipyardError):
    """The command cannot run as asked: arguments, configuration, a lock, a conflict (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """Invalid or missing configuration: fix the config, then re-run."""


class CredentialError(UsageError):
    """No credential for a repository that needs one (found before anything is built)."""


class ConflictError(UsageError):
    """The index holds a file of the same name with other content: only a new version helps."""


class StepFailed(ShipyardError):
    """A step of the release failed; what verified before it stays, a re-run resumes (exit 1)."""

    exit_code = EXIT_FAILED


class BuildError(StepFailed):
    """The build backend failed to make the sdist or the wheel (its output is the detail)."""


class CheckError(StepFailed):
    """A dist is not fit for the target index (metadata, README, names, credentials inside)."""


class InstallError(StepFailed):
    """The wheel did not install, import or pass its tests in a fresh venv."""


class IndexError_(StepFailed):
    """The index could not be read or refused an upload (network, auth, server error)."""


class AuthError(IndexError_):
    """The index rejected our credential (401/403)."""


class VerifyError(StepFailed):
    """The index does not serve exactly the files built, or they did not install from it."""


class WriteError(StepFailed):
    """A file shipyard writes could not be written (disk full, file too large, read-only)."""


class NothingToRelease(ShipyardError):
    """No commit calls for a release, or the branch is not the one to release from (exit 3)."""

    exit_code = EXIT_NOTHING


class GitError(StepFailed):
    """A git command that shipyard needed failed (its stderr is the detail)."""


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """The hint ", did you mean X?" for the one of `known` closest to a mistyped `word`: the same
    letters in another order (pipy: pypi), else difflib's closest at a ratio of 0.6 or more; "" when
    none is close or `word` is one of them."""
    import difflib  # on the error path only: the start-up of every command stays light

    names = list(known)
    if word in names:
        return ""
    found = [n for n in names if sorted(n) == sorted(word)] or difflib.get_close_matches(word, names, n=1)
    return f", did you mean {found[0]}?" if found else ""
