"""The arguments of the commands for one project (their functions are in cli/single.py)."""

from __future__ import annotations

import argparse
import os

from shipyard.cli.common import (
    Command,
    bump_options,
    dist_options,
    flag,
    lock_option,
    more_options,
    network_options,
    option_flag,
    option_flags,
    python_option,
    repo_options,
    version_options,
)
from shipyard.cli.single import (
    cmd_build,
    cmd_check,
    cmd_plan,
    cmd_publish,
    cmd_release,
    cmd_test_install,
    cmd_verify,
    cmd_version,
)


def register(command: Command) -> None:
    """Each command with its arguments, in the order `shipyard --help` lists them."""
    _build(command)
    _check(command)
    _test_install(command)
    _publish(command)
    _verify(command)
    _version(command)
    _plan(command)
    _release(command)


def _build(command: Command) -> None:
    p = command("build", cmd_build, "build the sdist and wheel (PEP 517, isolated, reproducible)")
    p.add_argument("path", nargs="?", help="the project folder (default: --project or .)")
    option_flag(p, "dist-dir", "--out")
    option_flags(p, "pass-env")
    p.add_argument(
        "--no-isolation", action="store_true", help="build in this environment, not an isolated one"
    )
    p.add_argument("--dry-run", action="store_true", help="build in a temporary folder, leave dist/ alone")
    p.add_argument(
        "--repair",
        action="store_true",
        help="auditwheel repair linux_* wheels into manylinux_* ones (automatic for a public stage "
        "when shipyard-release[wheels] is installed)",
    )
    lock_option(p)


def _check(command: Command) -> None:
    p = command("check", cmd_check, "check the built files are fit for the target index")
    p.add_argument("--to", metavar="NAME", help="the repository the files are for (default: every stage)")
    dist_options(p)


def _test_install(command: Command) -> None:
    p = command(
        "test-install", cmd_test_install, "install the wheel in a fresh venv, import it, run the tests"
    )
    p.add_argument("--no-deps", action="store_true", help="install the wheel without its dependencies")
    p.add_argument("--no-tests", action="store_true", help="only install and import, do not run the tests")
    option_flags(p, "test-group", "test-requirements-file", "pass-env")
    python_option(p)
    dist_options(p)


def _publish(command: Command) -> None:
    p = command("publish", cmd_publish, "upload the build to a repository, idempotently, never overwriting")
    repo_options(
        p, "--to", "the repository to upload to (-r, --repository: as twine's)", "-r", "--repository"
    )
    option_flags(p, "allow-unverified", "allow-lower", "attest", "attestations")
    p.add_argument("--dry-run", action="store_true", help="read the index and say what would be uploaded")
    network_options(p)
    lock_option(p)
    dist_options(p)


def _verify(command: Command) -> None:
    p = command(
        "verify", cmd_verify, "prove the index serves the build exactly, and that it installs from there"
    )
    repo_options(p, "--on", "the repository to verify")
    p.add_argument(
        "--version",
        metavar="V",
        help="the version to verify (default: the last build's; another version is "
        "verified against the hashes the index lists)",
    )
    option_flags(p, "verify-timeout", "page-limit", "download-limit", "cert", "system-certs", "client-cert")
    option_flags(p, "publisher", "require-provenance", "pass-env")
    p.add_argument(
        "--no-install", action="store_true", help="check the files only, skip the install from the index"
    )
    python_option(p)
    dist_options(p)


def _version(command: Command) -> None:
    p = command("version", cmd_version, "print the project's version and where it comes from")
    version_options(p)
    p.add_argument(
        "--no-isolation", action="store_true", help="ask the backend in this environment (dynamic versions)"
    )


def _plan(command: Command) -> None:
    p = command("plan", cmd_plan, "say what the next release is and why, from tags and commit messages")
    version_options(p)
    bump_options(p, "--bump", "preview a forced bump instead of the one the commits decide")
    p.add_argument(
        "--changed",
        action="store_true",
        help="a packaging repository: every package changed since its last tag (the default where "
        "shipyard.toml or .paa.config is found and no pyproject.toml)",
    )
    _refuse_pins(p)


def _refuse_pins(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--refuse-pin-bumps",
        action="store_true",
        help="a workspace: refuse a release whose new version falls outside another member's declared "
        "range, instead of bumping that member and moving its requirement",
    )


def _release(command: Command) -> None:
    p = command("release", cmd_release, "build, check, test-install, then publish and verify stage by stage")
    option_flags(p, "stages")
    version_options(p)
    p.add_argument(
        "--tag",
        nargs="?",
        const="",
        default=os.environ.get("SHIPYARD_RELEASE_TAG"),
        metavar="TAG",
        help="release the version this tag names (what CI runs on a tag push); the tag is made after "
        "the release verified if it does not exist; alone: the declared version's tag "
        "[env: SHIPYARD_RELEASE_TAG]",
    )
    bump_options(
        p,
        "--bump",
        "release the next version from the commits (or the bump given), write it and the changelog, "
        "then commit and tag once verified",
    )
    _release_files_and_git(p)
    _release_changed_options(p)
    option_flags(
        p,
        "test-install",
        "test-group",
        "test-requirements-file",
        "verify-install",
        "allow-unverified",
        "allow-lower",
        "verify-timeout",
        "forge-release",
    )
    option_flags(p, "attest", "attestations", "publisher", "require-provenance", "pass-env")
    p.add_argument(
        "--no-isolation", action="store_true", help="build in this environment, not an isolated one"
    )
    p.add_argument("--dry-run", action="store_true", help="build and check, then say what would be published")
    network_options(p)
    lock_option(p)
    python_option(p)
    more_options(p)


def _release_files_and_git(p: argparse.ArgumentParser) -> None:
    """Where `release` takes its files from, and what it asks of the git tree and branch."""
    p.add_argument(
        "--dists",
        default=os.environ.get("SHIPYARD_RELEASE_DISTS"),
        metavar="DIR",
        help="release the wheels and sdist in DIR (built elsewhere, e.g. a cibuildwheel matrix) instead "
        "of building: one release of this project, at the version the release resolves to; with "
        "--changed, each package's files from DIR/<import name>/ (an earlier run's dist/) "
        "[env: SHIPYARD_RELEASE_DISTS]",
    )
    flag(
        p,
        "--if-branch",
        "release only on this branch, else exit 3 (nothing to release)",
        metavar="BRANCH",
        default=os.environ.get("SHIPYARD_IF_BRANCH"),
    )
    p.add_argument(
        "--allow-dirty", action="store_true", help="release even with uncommitted changes in the tree"
    )
    p.add_argument("--push", action="store_true", help="push the release commit and tag once made")


def _release_changed_options(p: argparse.ArgumentParser) -> None:
    """release's options for a packaging repository's changed packages."""
    p.add_argument(
        "--changed",
        action="store_true",
        help="a packaging repository: release every package changed since its last tag, in dependency "
        "order (the default where shipyard.toml or .paa.config is found and no pyproject.toml)",
    )
    flag(
        p,
        "--package",
        "with --changed or in a workspace: release only NAME and the changed packages it needs (repeatable; "
        "SHIPYARD_PACKAGE: comma-separated)",
        action="append",
        metavar="NAME",
        default=None,
    )
    p.add_argument(
        "--no-record",
        action="store_true",
        help="with --changed: publish and verify, but write no changelog, commit or tag (parallel "
        "CI jobs; one later run records them all)",
    )
    _refuse_pins(p)
    option_flags(p, "jobs")
