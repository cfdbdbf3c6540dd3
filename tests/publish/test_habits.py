"""The habits people bring from twine and uv (issue 14, points 5-9), against real pypiservers and
devpi, side by side with twine and uv where the point is "they do it so": repositories by name from
.pypirc, TWINE_*/UV_PUBLISH_* naming the target, an upload URL alone, files outside a project, and
a password prompt on a real pseudo-terminal."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex, client_env, start_pypiserver
from tests.helpers.projects import ShipyardCLI, command_env, make_project

pytestmark = pytest.mark.integration

FILES = ("tiny_pkg-1.0.0-py3-none-any.whl", "tiny_pkg-1.0.0.tar.gz")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built once (its dist/ holds tiny-pkg 1.0.0's wheel and sdist); tests copy it."""
    root = make_project(tmp_path_factory.mktemp("habits") / "proj", with_tests=False)
    home = tmp_path_factory.mktemp("habits-home")
    cmd = [sys.executable, "-m", "shipyard", "build", "-C", str(root)]
    subprocess.run(cmd, env=command_env(home), check=True, capture_output=True, timeout=300)
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(built, root, symlinks=True)
    return root


@contextlib.contextmanager
def pypiserver(tmp_path: Path, name: str) -> Iterator[TestIndex]:
    (tmp_path / name).mkdir()
    with start_pypiserver(tmp_path / name) as index:
        yield index


def pypirc(name: str, index: TestIndex) -> str:
    """A .pypirc as twine's docs write one: the repository by name, its URL and credential."""
    return (
        f"[distutils]\nindex-servers =\n    {name}\n\n"
        f"[{name}]\nrepository = {index.upload_url}\nusername = {index.username}\npassword = {index.password}\n"
    )


def dists(root: Path) -> list[str]:
    return [str(root / "dist" / f) for f in FILES]


def twine(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar", *args]
    return subprocess.run(
        cmd, env={**client_env(), **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def served(index: TestIndex) -> set[str]:
    return set(index.served_files("tiny-pkg"))


def test_pypirc_names_a_repository_for_r_and_to_as_twine_reads_it(
    shipyard: ShipyardCLI, project: Path, home: Path, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    index = fresh_pypiserver
    (home / ".pypirc").write_text(pypirc("corp", index))
    assert "repositories" not in (project / "pyproject.toml").read_text()  # no URL in the project
    wheel = dists(project)[0]
    tw = twine("-r", "corp", wheel, env={"HOME": str(home)})  # twine, from the same file
    assert tw.returncode == 0, tw.stdout + tw.stderr
    run = shipyard("publish", "-r", "corp", "-C", str(project))
    assert run.code == 0 and "corp: 1 uploaded, 1 skipped" in run.out, run.text  # twine's wheel: same index
    assert served(index) == set(FILES)
    for flag in ("--to", "--repository"):
        again = shipyard("publish", flag, "corp", "-C", str(project))
        assert again.code == 0 and "corp: 2 skipped" in again.out, again.text
    # Azure's TwineAuthenticate writes its .pypirc at $PYPIRC_PATH: read before ~/.pypirc
    with pypiserver(tmp_path, "feed") as feed:
        azure = tmp_path / "azure" / ".pypirc"
        azure.parent.mkdir()
        azure.write_text(pypirc("corp", feed))
        run = shipyard("publish", "--to", "corp", "-C", str(project), env={"PYPIRC_PATH": str(azure)})
        assert run.code == 0 and "corp: 2 uploaded" in run.out, run.text
        assert served(feed) == set(FILES)
    unknown = shipyard("publish", "-r", "nowhere", "-C", str(project))
    assert unknown.code == 2 and "known: corp, local, pypi, testpypi" in unknown.err, unknown.text


def test_twine_and_uv_variables_name_the_one_target_flags_win(
    shipyard: ShipyardCLI, project: Path, home: Path, tmp_path: Path
) -> None:
    with contextlib.ExitStack() as stack:
        a, b, c, d = (stack.enter_context(pypiserver(tmp_path, n)) for n in "abcd")
        tw = {
            "TWINE_REPOSITORY_URL": a.upload_url,
            "TWINE_USERNAME": a.username,
            "TWINE_PASSWORD": a.password,
        }
        run = shipyard("publish", "-C", str(project), env=tw)  # the first stage is `local`: not it
        assert run.code == 0 and "custom: 2 uploaded" in run.out, run.text
        assert served(a) == set(FILES) and not (project / ".shipyard" / "index").exists()
        checked = shipyard("verify", "--no-install", "-C", str(project), env=tw)  # the same one target
        assert checked.code == 0 and "custom serves tiny-pkg 1.0.0 exactly as built" in checked.out, (
            checked.text
        )
        done = twine(*dists(project), env={**tw, "TWINE_REPOSITORY_URL": b.upload_url})
        assert done.returncode == 0 and served(b) == set(FILES), done.stdout + done.stderr
        uv = {
            "UV_PUBLISH_URL": c.upload_url,
            "UV_PUBLISH_CHECK_URL": c.simple_url,
            "UV_PUBLISH_USERNAME": c.username,
            "UV_PUBLISH_PASSWORD": c.password,
        }
        run = shipyard("publish", "-C", str(project), env=uv)
        assert run.code == 0 and "custom: 2 uploaded" in run.out and served(c) == set(FILES), run.text
        again = shipyard("publish", "-C", str(project), env=uv)  # read through UV_PUBLISH_CHECK_URL
        assert again.code == 0 and "custom: 2 skipped" in again.out, again.text
        to_d = {**client_env(), **uv, "UV_PUBLISH_URL": d.upload_url, "UV_PUBLISH_CHECK_URL": d.simple_url}
        uv_run = subprocess.run(
            [str(Path(sys.executable).parent / "uv"), "publish", *dists(project)],
            env=to_d,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert uv_run.returncode == 0 and served(d) == set(FILES), uv_run.stdout + uv_run.stderr
        # a flag, or SHIPYARD_TO, names the target over them, and says it leaves them unused
        local = shipyard("publish", "--to", "local", "-C", str(project), env={**tw, **uv})
        assert local.code == 0 and "local: 2 uploaded" in local.out, local.text
        for variable in ("TWINE_REPOSITORY_URL", "UV_PUBLISH_URL"):
            assert f"warning: {variable} is set, but the target is given: it is not used" in local.err
        local = shipyard("publish", "-C", str(project), env={**tw, "SHIPYARD_TO": "local"})
        assert local.code == 0 and "local: 2 skipped" in local.out, local.text
        # two variables naming two indexes: which one is meant is not guessed
        both = shipyard("publish", "-C", str(project), env={**tw, **uv})
        assert both.code == 2 and both.err.count("\n") == 1, both.text
        assert "TWINE_REPOSITORY_URL" in both.err and "UV_PUBLISH_URL" in both.err and "different" in both.err
        # TWINE_REPOSITORY names a repository, here .pypirc's, whose credential is its section's
        (home / ".pypirc").write_text(pypirc("corp", b))
        named = shipyard("publish", "-C", str(project), env={"TWINE_REPOSITORY": "corp"})
        assert named.code == 0 and "corp: 2 skipped" in named.out, named.text


@pytest.mark.parametrize("server", ["fresh_pypiserver", "fresh_devpi_index"])
def test_repository_url_alone_derives_the_simple_url(
    shipyard: ShipyardCLI, project: Path, server: str, request: pytest.FixtureRequest
) -> None:
    index: TestIndex = request.getfixturevalue(server)
    env = {"SHIPYARD_CUSTOM_USERNAME": index.username, "SHIPYARD_CUSTOM_PASSWORD": index.password}
    run = shipyard("publish", "--repository-url", index.upload_url, "-C", str(project), env=env)
    assert run.code == 0 and "custom: 2 uploaded" in run.out, run.text
    # read before uploading, from the derived simple URL: it is the index's own, which lists them now
    again = shipyard("publish", "--repository-url", index.upload_url.rstrip("/"), "-C", str(project), env=env)
    assert again.code == 0 and "custom: 2 skipped" in again.out, again.text
    assert served(index) == set(FILES)
    odd = f"{index.upload_url}not/a/known/layout/"
    refused = shipyard("publish", "--repository-url", odd, "-C", str(project), env=env)
    assert refused.code == 2 and refused.err.count("\n") == 1, refused.text
    assert (
        f"--repository-url needs --simple-url: the simple index URL of {odd} cannot be derived" in refused.err
    )


def test_publish_files_outside_a_project_as_twine_upload(
    shipyard: ShipyardCLI, built: Path, home: Path, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "dist").mkdir(parents=True)
    for path in dists(built):
        shutil.copy(path, outside / "dist")
    before = sorted(outside.rglob("*"))
    files = [f"dist/{f}" for f in FILES]  # what `dist/*` expands to
    index = fresh_pypiserver
    env = {
        "TWINE_REPOSITORY_URL": index.upload_url,
        "TWINE_USERNAME": index.username,
        "TWINE_PASSWORD": index.password,
    }
    run = shipyard("publish", *files, cwd=outside, env=env)
    assert run.code == 0 and "custom: 2 uploaded" in run.out, run.text
    assert served(index) == set(FILES)
    assert sorted(outside.rglob("*")) == before  # no lock, no audit log: there is no project to keep one
    with pypiserver(tmp_path, "other") as other:  # twine upload dist/*, from the same folder
        done = twine("dist/*", env={**env, "TWINE_REPOSITORY_URL": other.upload_url}, cwd=outside)
        assert done.returncode == 0 and served(other) == set(FILES), done.stdout + done.stderr
    # the repository by name from .pypirc, or by flags
    (home / ".pypirc").write_text(pypirc("corp", index))
    named = shipyard("publish", "-r", "corp", *files, cwd=outside)
    assert named.code == 0 and "corp: 2 skipped" in named.out, named.text
    creds = {"SHIPYARD_CUSTOM_USERNAME": index.username, "SHIPYARD_CUSTOM_PASSWORD": index.password}
    flags = shipyard("publish", "--repository-url", index.upload_url, *files, cwd=outside, env=creds)
    assert flags.code == 0 and "custom: 2 skipped" in flags.out, flags.text
    # without files there is no build to publish: the usual error
    bare = shipyard("publish", cwd=outside, env=env)
    assert bare.code == 2 and "no pyproject.toml or setup.py in" in bare.err, bare.text


def on_a_terminal(
    args: list[str], env: dict[str, str], answers: list[tuple[str, str]], timeout: float = 180
) -> tuple[int, str]:
    """Run shipyard with a new pseudo-terminal as its controlling terminal (what a shell gives it),
    typing each answer once its prompt shows; the exit code and all the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once
        os.execve(sys.executable, [sys.executable, "-m", "shipyard", *args], env)  # noqa: S606 (no shell wanted)
    shown, seen, pending = b"", 0, list(answers)
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"shipyard on a terminal gave no answer in {timeout} s: {shown!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal, it is done
                break
            if not chunk:
                break
            shown += chunk
            while pending and (at := shown.find(pending[0][0].encode(), seen)) >= 0:
                seen = at + len(pending[0][0])
                os.write(fd, pending.pop(0)[1].encode() + b"\n")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_a_terminal_is_asked_for_the_password_which_it_never_shows(
    project: Path, home: Path, fresh_pypiserver: TestIndex
) -> None:
    index = fresh_pypiserver
    env = {**command_env(home), "SHIPYARD_RETRY_DELAY": "0.05"}
    args = ["publish", "--repository-url", index.upload_url, "-C", str(project)]
    answers = [("username (empty: __token__", index.username), ("password or token: ", index.password)]
    code, shown = on_a_terminal(args, env, answers)
    assert code == 0 and "custom: 2 uploaded" in shown, shown
    assert f"no credential found for custom ({index.upload_url})" in shown
    assert index.username in shown and index.password not in shown  # getpass turned echo off
    assert served(index) == set(FILES)
    # in CI (CI set), on a terminal all the same: no prompt, the error at once, naming every source
    code, shown = on_a_terminal(args, {**env, "CI": "true"}, [])
    assert code == 2 and "username" not in shown, shown
    for source in ("SHIPYARD_CUSTOM_TOKEN", "TWINE_USERNAME/TWINE_PASSWORD", "UV_PUBLISH_TOKEN", "keyring"):
        assert source in shown, (source, shown)
    assert str(home / ".pypirc") in " ".join(shown.split()) and "trusted publishing" in shown
    assert "no password prompt" in shown


def test_without_a_terminal_a_missing_credential_fails_at_once(
    shipyard: ShipyardCLI, project: Path, fresh_pypiserver: TestIndex
) -> None:
    run = shipyard("publish", "--repository-url", fresh_pypiserver.upload_url, "-C", str(project))
    assert run.code == 2 and run.err.count("\n") == 1, run.text
    assert run.err.startswith("error: no credential for repository 'custom'") and "looked at:" in run.err
    assert "no password prompt" in run.err and not served(fresh_pypiserver)


def test_release_says_it_leaves_twines_target_unused(
    shipyard: ShipyardCLI, project: Path, fresh_pypiserver: TestIndex
) -> None:
    env = {"TWINE_REPOSITORY_URL": fresh_pypiserver.upload_url, "TWINE_PASSWORD": "tw-value-long"}
    run = shipyard("release", "--dry-run", "--no-test-install", "-C", str(project), env=env)
    assert run.code == 0 and "would release tiny-pkg 1.0.0 to local" in run.out, run.text
    assert (
        "warning: TWINE_REPOSITORY_URL is set, but release publishes to its stages (publish takes a "
        "one-off target): it is not used"
    ) in " ".join(run.err.split())
    assert not served(fresh_pypiserver)
