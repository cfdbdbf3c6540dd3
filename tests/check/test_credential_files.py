"""`check` (and so `release`), and `publish FILE...` refuse a dist that carries credential files or
credentials, naming each file (and line) and the fix, never the secret; `allow-files` lets a named
false alarm pass (issue 12, point 2). Real hatchling and setuptools builds, a real pypiserver."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml
from tests.helpers.releases import creds

pytestmark = pytest.mark.integration

# put together here, so that no file of shipyard's own sdist holds one of them literally
PYPI = "pypi-" + "AgEIcHlwaS5vcmc" + "CJGRlYWRiZWVmLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMAACKlsz"
GITHUB = "ghp_" + "Zk3q" * 9
GITLAB = "glpat-" + "xY7w" * 5
AWS = "AKIA" + "Q3EXAMPLE7K2ZT4W"
KEY = (
    "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
)
SECRETS = (PYPI, GITHUB, GITLAB, AWS, "b3BlbnNzaC1rZXktdjEAAAAA", "hunter2-production")


def _leaky(root: Path) -> None:
    """Credential files git does not ignore (make_project ignores `.env` alone), so hatchling packs them."""
    pkg = root / "src" / "tiny_pkg"
    (root / ".env.production").write_text("SHIPYARD_PYPI_PASSWORD=hunter2-production\n")
    (root / ".env.local").write_text("X=1\n")
    (root / ".netrc").write_text("machine example.org login me password hunter2-production\n")
    (root / ".git-credentials").write_text("https://me:hunter2-production@example.org\n")
    (root / "id_ed25519").write_text(KEY)
    (root / "id_ed25519.pub").write_text("ssh-ed25519 AAAAC3Nza me@host\n")  # public: no finding
    (pkg / ".pypirc.bak").write_text(f"[pypi]\npassword = {PYPI}\n")
    (pkg / "settings.py").write_text(f'# defaults\nTOKEN = "{PYPI}"\nGH = "{GITHUB}"\n')
    (pkg / "ci.py").write_text(f'LAB = "{GITLAB}"\n\nAWS_KEY = "{AWS}"\n')
    (pkg / "server.pem").write_text(KEY)
    (pkg / "docs.py").write_text(f'EXAMPLE = "{GITHUB}"  # shipyard: fake-token\n')  # doctor's marker
    git(root, "add", "-A")
    git(root, "commit", "-qm", "leaky")


def _check(shipyard: ShipyardCLI, root: Path, *extra: str) -> tuple[int, str, list[str]]:
    """check's exit code, its one error line, and the problems --verbose lists."""
    built = shipyard("build", "-C", str(root))
    assert built.code == 0, built.text
    run = shipyard("check", "--to", "pypi", "--verbose", "-C", str(root), *extra)
    assert not any(s in run.text for s in SECRETS), run.text
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    return run.code, "\n".join(errors), run.err.splitlines()


def test_hatchling_dist_with_credential_files_and_tokens_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    _leaky(root)

    code, error, lines = _check(shipyard, root)

    assert code == 1 and error.count("\n") == 0 and "more problem(s): --verbose lists them" in error
    assert error.startswith("error: tiny_pkg-1.0.0") and "rotate" in error and "allow-files" in error
    said = "\n".join(lines)
    sdist, wheel = "tiny_pkg-1.0.0.tar.gz contains", "tiny_pkg-1.0.0-py3-none-any.whl contains"
    for expected in (
        f"{sdist} a .env file (credentials): .env.production:",
        f"{sdist} a .env file (credentials): .env.local:",
        f"{sdist} a netrc file (credentials): .netrc:",
        f"{sdist} a git credential store: .git-credentials:",
        f"{sdist} an SSH private key: id_ed25519:",
        f"{sdist} a .pypirc (index credentials): src/tiny_pkg/.pypirc.bak:",
        f"{sdist} a PyPI token (pypi-AgE...) at line 2 in src/tiny_pkg/settings.py:",
        f"{sdist} a GitHub token (ghp_Zk3q...) at line 3 in src/tiny_pkg/settings.py:",
        f"{sdist} a GitLab token (glpat-xY...) at line 1 in src/tiny_pkg/ci.py:",
        f"{sdist} an AWS access key id (AKIAQ3EX...) at line 3 in src/tiny_pkg/ci.py:",
        f"{wheel} a private key (-----BEGIN OPENSSH PRIVATE KEY-----) at line 1 in tiny_pkg/server.pem:",
        f"{wheel} a .pypirc (index credentials): tiny_pkg/.pypirc.bak:",
        f"{wheel} a PyPI token (pypi-AgE...) at line 2 in tiny_pkg/settings.py:",
    ):
        assert expected in said, expected
    assert "id_ed25519.pub" not in said and "docs.py" not in said  # a public key; a marked fake


def test_setuptools_dist_with_tokens_and_a_manifest_netrc_is_refused(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", backend="setuptools", with_tests=False)
    (root / ".netrc").write_text("machine example.org login me password hunter2-production\n")
    (root / "MANIFEST.in").write_text("include .netrc\n")
    (root / "src" / "tiny_pkg" / "cloud.py").write_text(f'KEY_ID = "{AWS}"\nGH = "{GITHUB}"\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "leaky")

    code, error, lines = _check(shipyard, root)

    assert code == 1 and error.startswith("error: tiny_pkg-1.0.0.tar.gz contains a netrc file"), error
    said = "\n".join(lines)
    assert (
        "tiny_pkg-1.0.0.tar.gz contains an AWS access key id (AKIAQ3EX...) at line 1 in src/tiny_pkg/cloud.py"
        in said
    )
    assert (
        "tiny_pkg-1.0.0-py3-none-any.whl contains a GitHub token (ghp_Zk3q...) at line 2 in tiny_pkg/cloud.py"
        in said
    )


def test_allow_files_lets_a_named_false_alarm_pass(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", with_tests=False)
    (root / "tests" / "fixtures").mkdir(parents=True)
    (root / "tests" / "fixtures" / "fake.pem").write_text(KEY)
    (root / "tests" / "fixtures" / "other.pem").write_text(KEY)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fixtures")

    code, error, _ = _check(shipyard, root)
    assert code == 1 and "a private key" in error and "tests/fixtures/" in error

    env = {"SHIPYARD_ALLOW_FILES": "tests/fixtures/fake.pem"}  # one named: the other still refused
    run = shipyard("check", "--to", "pypi", "-C", str(root), env=env)
    assert run.code == 1 and "tests/fixtures/other.pem" in run.err and "fake.pem" not in run.err, run.text

    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '[tool.shipyard]\nallow-files = ["tests/fixtures/*.pem"]\n')
    run = shipyard("check", "--to", "pypi", "--json", "-C", str(root))
    assert run.code == 0, run.text
    assert json.loads(run.out)["ok"] is True


def test_release_and_publish_upload_nothing_that_carries_a_credential(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(staging=fresh_pypiserver)
    root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
    (root / ".env.production").write_text("SHIPYARD_PYPI_PASSWORD=hunter2-production\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "leaky")
    env = creds(staging=fresh_pypiserver)

    run = shipyard("release", "--no-test-install", "-C", str(root), env=env)
    assert run.code == 1, run.text
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "contains a .env file (credentials): .env.production" in errors[0]

    # the same files named to publish (as if built elsewhere): refused before any upload
    files = [str(p) for p in sorted((root / "dist").glob("tiny_pkg-1.0.0*"))]
    assert len(files) == 2
    run = shipyard("publish", "--to", "staging", "-C", str(root), *files, env=env)
    assert run.code == 1 and "error: tiny_pkg-1.0.0.tar.gz contains a .env file" in run.err, run.text
    assert "hunter2" not in run.text
    assert fresh_pypiserver.served_files("tiny-pkg") == {}
    assert not (root / ".shipyard" / "audit.jsonl").exists()


def test_a_submodule_gitlink_file_is_no_git_repository(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    """setuptools' `graft` packs a submodule's `.git` FILE (`gitdir: ...`, some 40 bytes) but never
    a `.git` folder: the pointer holds a path, not a repository (issue 13, point 16)."""
    vendored = tmp_path / "vendored"
    vendored.mkdir()
    git(vendored, "init", "-q")
    (vendored / "data.py").write_text("X = 1\n")
    git(vendored, "add", "-A")
    git(vendored, "commit", "-qm", "vendored")
    root = make_project(tmp_path / "proj", with_tests=False, backend="setuptools")
    git(
        root,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(vendored),
        "src/tiny_pkg/vendored",
    )
    (root / "MANIFEST.in").write_text("graft src\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a submodule")
    assert (root / "src/tiny_pkg/vendored/.git").read_bytes().startswith(b"gitdir: ")
    code, errors, _ = _check(shipyard, root)
    assert code == 0 and errors == "", errors
    with tarfile.open(next((root / "dist").glob("*.tar.gz"))) as sdist:
        assert "tiny_pkg-1.0.0/src/tiny_pkg/vendored/.git" in sdist.getnames()  # packed, and let pass

    # a .git file that is no pointer (a repository's config copied in) is still refused
    (root / "src/tiny_pkg/vendored/.git").write_text("[core]\n\trepositoryformatversion = 0\n")
    code, errors, _ = _check(shipyard, root)
    assert code == 1 and "contains a git repository (src/tiny_pkg/vendored/.git)" in errors, errors
