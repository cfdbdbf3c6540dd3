"""Every release option, declared once: its key, kind, default and meaning.

From each declaration come its `[tool.shipyard]` key (also a top-level key of shipyard.toml), its
`SHIPYARD_<KEY>` variable, the field of `Config` (or of `Network`) it fills, and the command-line
flag that sets it, with its `--help` text. Precedence: flag > environment > file > default.

The CLI builds its flags from this table at every start, so the module stays light: the standard
library's cheapest modules only; config.py parses the values, by kind.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from shipyard.tools.network import DOWNLOAD_LIMIT, PAGE_LIMIT

__all__ = [
    "OPTIONS",
    "Kind",
    "Option",
    "env_name",
]


class Kind(enum.Enum):
    """What an option's value is: config.py has a parser for each, the CLI an argparse type."""

    SWITCH = enum.auto()  # true or false; its flag turns the default around
    SECONDS = enum.auto()  # a number of seconds, 0 or more
    POSITIVE_SECONDS = enum.auto()  # a number of seconds, more than 0
    COUNT = enum.auto()  # a whole number, 0 or more
    TEXT = enum.auto()  # a non-empty string
    OPTIONAL_TEXT = enum.auto()  # a string; "" (the default) for none
    CHOICE = enum.auto()  # one of the option's choices
    STAGES = enum.auto()  # repository names, in release order (a list, or comma-separated)
    TAG = enum.auto()  # a tag pattern with {version}
    PATH = enum.auto()  # relative to the project root
    OPTIONAL_PATH = enum.auto()  # relative to the project root; "" or false for none
    PROJECT_FILE = enum.auto()  # an OPTIONAL_PATH that a release writes and commits: inside the project
    PATTERNS = enum.auto()  # paths or globs (a list, or comma-separated); none by default
    ASSIGNMENTS = enum.auto()  # PATH:NAME, each a file inside the project (a list, or comma-separated)
    NAMES = enum.auto()  # environment variable names (a list, or comma-separated); none by default
    PUBLISHER = enum.auto()  # github:OWNER/REPO@WORKFLOW, gitlab:NAMESPACE/PROJECT@CI_FILE, google:EMAIL


class Option(NamedTuple):
    """One option: everything else about it (variable, field, flag) is derived from these."""

    key: str
    kind: Kind
    default: object
    help: str  # what the option means; --help adds the default and the variable
    choices: tuple[str, ...] = ()
    spelling: str = ""  # the flag, where it is not --KEY (or --no-KEY for a switch that is on)
    network: bool = False  # a field of Config.network rather than of Config

    @property
    def env(self) -> str:
        return env_name(self.key)

    @property
    def field(self) -> str:
        return self.key.replace("-", "_")

    @property
    def flag(self) -> str:
        if self.spelling:
            return self.spelling
        return f"--no-{self.key}" if self.kind is Kind.SWITCH and self.default else f"--{self.key}"

    def shown(self) -> str:
        """The default as written in [tool.shipyard] (without TOML's quotes)."""
        value = self.default
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, tuple):
            return ",".join(map(str, value)) if value else "[]"
        return str(value)


def env_name(key: str) -> str:
    return "SHIPYARD_" + key.upper().replace("-", "_")


# In this order options are read, so the first bad one is the one reported.
OPTIONS: dict[str, Option] = {
    o.key: o
    for o in (
        Option("stages", Kind.STAGES, ("local",), "repositories to release to, in order"),
        Option(
            "tag",
            Kind.TAG,
            "v{version}",
            "how release tags are spelled: {version} once, {package} optionally",
            spelling="--tag-pattern",
        ),
        Option(
            "dist-dir",
            Kind.PATH,
            "dist",
            "where build writes the sdist and wheel, and the other steps read them",
        ),
        Option("local-index", Kind.PATH, ".shipyard/index", "folder of the embedded local index"),
        Option(
            "test-install",
            Kind.SWITCH,
            True,
            "test-install the wheel (a fresh venv, import, its tests) before publishing",
        ),
        Option(
            "test-group",
            Kind.OPTIONAL_TEXT,
            "",
            "the dependency group (PEP 735, Poetry or PDM) the tests need, over the ones test-install "
            'looks for (test, tests, testing, then dev); "" to look',
        ),
        Option(
            "test-requirements-file",
            Kind.OPTIONAL_PATH,
            "",
            "a requirements file the tests need (pip's format), installed with the test-group's "
            "requirements, or alone when no test-group is set",
        ),
        Option("verify-install", Kind.SWITCH, True, "install from each index once its hashes are verified"),
        Option(
            "verify-timeout",
            Kind.SECONDS,
            120.0,
            "seconds to wait for an index to list the files; verify's reads and downloads together "
            "end within it plus 1 s for every MB of the files",
            spelling="--timeout",
        ),
        Option("allow-unverified", Kind.SWITCH, False, "upload even when an index cannot be read first"),
        Option(
            "allow-files",
            Kind.PATTERNS,
            (),
            "files check lets into a dist although they look like credentials (false alarms): "
            "paths inside the dist, or globs",
        ),
        Option(
            "allow-lower",
            Kind.SWITCH,
            False,
            "publish a version lower than the highest a stage serves (a backport on a maintenance line)",
        ),
        Option(
            "version-source",
            Kind.CHOICE,
            "tag",
            "under release --tag, a declared version that differs from the tag's: tag builds the "
            "tag's version, project refuses",
            choices=("tag", "project"),
        ),
        Option(
            "commit-parser",
            Kind.CHOICE,
            "both",
            "which commit messages decide bumps: conventional, paa ([pkg][.+.] notes) or both",
            choices=("both", "conventional", "paa"),
            spelling="--parser",
        ),
        Option(
            "major-on-zero",
            Kind.SWITCH,
            False,
            "under 1.0, a breaking change bumps the major (when false: the minor, 0.4 -> 0.5)",
        ),
        Option(
            "changelog",
            Kind.PROJECT_FILE,
            "CHANGELOG.md",
            'the changelog release --bump updates; "" for none',
        ),
        Option(
            "version-files",
            Kind.ASSIGNMENTS,
            (),
            'more files holding the version, as PATH:NAME ("docs/conf.py:release"): a release '
            'writes its version into their NAME = "..."',
        ),
        Option("remote", Kind.TEXT, "origin", "where release --push pushes"),
        Option(
            "pass-env",
            Kind.NAMES,
            (),
            "environment variables the build backend, the tests, git, pip and uv see besides the "
            "usual ones (PATH, HOME, locale, proxies, the tools' own settings); one holding a "
            "credential's value never passes",
        ),
        Option(
            "forge-release",
            Kind.SWITCH,
            True,
            "make the forge's release of the tag with the release notes (in GitHub Actions or GitLab "
            "CI), once every stage verified; a failure there is a warning, the release being out",
        ),
        # faults: transient failures are retried with backoff and jitter, within these bounds
        Option(
            "retries",
            Kind.COUNT,
            4,
            "retries of a transient fault: connection refused or reset, timeout, HTTP 5xx or 429",
            network=True,
        ),
        Option(
            "retry-timeout",
            Kind.SECONDS,
            60.0,
            "start no retry later than this many seconds after the first attempt",
            network=True,
        ),
        Option(
            "retry-delay",
            Kind.SECONDS,
            0.5,
            "the first backoff step in seconds (doubles per failure, up to 8; the wait is random within it)",
            network=True,
        ),
        Option(
            "read-timeout",
            Kind.POSITIVE_SECONDS,
            60.0,
            "seconds of silence before a read of the index gives up (and is retried)",
            network=True,
        ),
        Option(
            "upload-timeout",
            Kind.POSITIVE_SECONDS,
            600.0,
            "seconds an upload may take in all: sending the file and waiting for the index's answer",
            network=True,
        ),
        Option(
            "page-limit",
            Kind.COUNT,
            PAGE_LIMIT,
            "bytes of an index page read at most: a larger page is refused (50 MiB)",
            network=True,
        ),
        Option(
            "download-limit",
            Kind.COUNT,
            DOWNLOAD_LIMIT,
            "bytes verify --version downloads at most of a file the index lists without a size, "
            "when no build of ours gives one (1 GiB)",
            network=True,
        ),
        # TLS: a private CA, a client certificate (also per repository: cert, client-cert)
        Option(
            "cert",
            Kind.OPTIONAL_PATH,
            "",
            "a CA bundle (PEM) to trust for every index, over REQUESTS_CA_BUNDLE and SSL_CERT_FILE",
            network=True,
        ),
        Option(
            "system-certs",
            Kind.SWITCH,
            False,
            "trust the operating system's certificate store (needs truststore: shipyard[truststore]) "
            "over REQUESTS_CA_BUNDLE, SSL_CERT_FILE and the bundled roots; a cert still wins",
            network=True,
        ),
        Option(
            "client-cert",
            Kind.OPTIONAL_PATH,
            "",
            "a PEM file with a client certificate and its key, for indexes that require one",
            network=True,
        ),
        Option(
            "jobs",
            Kind.COUNT,
            0,
            "packages of a packaging repository released at once (each dependency level in parallel; "
            "0: one more than the cores, 1: one after another)",
        ),
        Option(
            "lock-timeout",
            Kind.SECONDS,
            10.0,
            "seconds a second run in the same working tree waits for the lock before failing",
        ),
        # PEP 740 provenance: attestations made and uploaded, then the index's provenance checked
        Option(
            "attest",
            Kind.SWITCH,
            True,
            "sign a PEP 740 publish attestation per dist with the CI's identity under trusted publishing",
        ),
        Option(
            "attestations",
            Kind.SWITCH,
            False,
            "upload the <dist>.*.attestation files beside the dists too, and fail where a dist "
            "gets no attestation or the index refuses them",
        ),
        Option(
            "publisher",
            Kind.PUBLISHER,
            "",
            "the trusted publisher the index's PEP 740 provenance must name, which makes provenance "
            "required: github:OWNER/REPO@WORKFLOW, gitlab:NAMESPACE/PROJECT@CI_FILE or "
            'google:SERVICE_ACCOUNT_EMAIL ("": in CI, the one running; elsewhere, the one the index names)',
        ),
        Option(
            "require-provenance",
            Kind.SWITCH,
            False,
            "fail verify on an index that serves no PEP 740 provenance for the files",
        ),
    )
}
