"""Errors that end a command: each carries its one-line message and its exit code.

Exit codes are a contract (README): 0 done, 1 a release step failed, 2 usage or configuration
error, 3 nothing to release.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOTHING = 3

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
    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """Invalid or missing configuration: fix the config, then re-run."""


class CredentialError(UsageError):
    """No credential for a repository that needs one (found before anything is built)."""


class ConflictError(UsageError):
    """The index holds a file of the same name with other content: only a new version helps."""


class StepFailed(ShipyardError):
    exit_code = EXIT_FAILED


class BuildError(StepFailed):
    pass


class CheckError(StepFailed):
    pass


class InstallError(StepFailed):
    pass


class IndexError_(StepFailed):
    """The index could not be read or refused an upload (network, auth, server error)."""


class AuthError(IndexError_):
    """The index rejected our credential (401/403)."""


class VerifyError(StepFailed):
    pass


class WriteError(StepFailed):
    """A file shipyard writes could not be written (disk full, file too large, read-only)."""


class NothingToRelease(ShipyardError):
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
