"""What a person sees (issue 14, point 11): real CLI runs against a real pypiserver, stderr on a
pseudo-terminal where a terminal is needed, stdout a file as in a CI log."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shipyard.config import Repository
from shipyard.index.base import release_page
from tests.helpers.indexes import TestIndex, client_env
from tests.helpers.projects import ShipyardCLI, command_env, git
from tests.helpers.releases import staging_project

BLOB = 3_000_000  # random bytes: the sdist and the wheel are each about 3.0 MB, well over 1 MiB
# twine's finished bar: `100% ━━━━ 3.0/3.0 MB • 00:00 • 9.9 MB/s` (rich's columns)
FINISHED_BAR = re.compile(r"100% .*?\b3\.0/3\.0 MB\b.*?\b\d\d:\d\d\b")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _big_project(tmp_path: Path, index: TestIndex) -> tuple[Path, dict[str, str]]:
    root, env = staging_project(tmp_path, index)
    (root / "src" / "tiny_pkg" / "blob.bin").write_bytes(os.urandom(BLOB))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a big file")
    return root, env


def _on_a_terminal(cmd: list[str], env: dict[str, str], out: Path | None) -> tuple[int, str]:
    """Run `cmd` with stderr on a pseudo-terminal and stdout into the file `out` (None: on the
    terminal too); returns its exit code and what the terminal showed, control sequences removed."""
    leader, follower = pty.openpty()
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower closed: the child is gone
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with out.open("wb") if out is not None else os.fdopen(os.dup(follower), "wb") as stdout:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=follower, env=env, timeout=600, check=False
        )
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    return proc.returncode, _screen(shown.decode(errors="replace"))


def _screen(raw: str) -> str:
    """What stays on the terminal: each line as last redrawn (after its last carriage return)."""
    lines = ANSI.sub("", raw).replace("\r\n", "\n").split("\n")
    return "\n".join(next((p for p in reversed(line.split("\r")) if p.strip()), "") for line in lines)


def _env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = command_env(home)
    env.update(extra, COLUMNS="100", TERM="xterm")
    return env


@pytest.mark.integration
def test_the_upload_bar_stays_with_percent_and_time_as_twines_and_the_last_line_names_the_page(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path, home: Path
) -> None:
    root, creds = _big_project(tmp_path, fresh_pypiserver)
    code, shown = _on_a_terminal(
        [sys.executable, "-m", "shipyard", "release", "-C", str(root)], _env(home, creds), tmp_path / "out"
    )
    log = (tmp_path / "out").read_text()
    assert code == 0, log + shown
    # the bar of each file stays on the terminal, finished: percent, size and time, as twine's
    assert len(FINISHED_BAR.findall(shown)) == 2, shown
    # stdout (a CI log) gets no bar and no blank line; each finished file says its size and time
    assert "━" not in log and "\n\n" not in log and not log.startswith("\n"), log
    for name in ("tiny_pkg-1.0.0.tar.gz", "tiny_pkg-1.0.0-py3-none-any.whl"):
        assert re.search(rf"^    uploaded {re.escape(name)} \(3\.0 MB in \d+\.\d s\)$", log, re.M), log
    # the last line: where the release can be seen (a private index: its simple page of the project)
    assert log.splitlines()[-1] == f"tiny-pkg 1.0.0 can be seen at {fresh_pypiserver.simple_url}tiny-pkg/"

    # twine, given the same kind of file on the same kind of terminal, shows the same finished bar
    twine_env = client_env()
    twine_env.update(COLUMNS="100", TERM="xterm", HOME=str(home))
    sdist = next((root / "dist").glob("*.tar.gz"))
    wheel = next((root / "dist").glob("*.whl"))
    wheel.unlink()
    sdist.rename(tmp_path / "tiny_pkg-1.0.1.tar.gz")  # a new name: pypiserver refuses a re-upload
    twine = Path(sys.executable).parent / "twine"
    cmd = [
        str(twine),
        "upload",
        "--repository-url",
        fresh_pypiserver.upload_url,
        "-u",
        fresh_pypiserver.username,
    ]
    cmd += ["-p", fresh_pypiserver.password, "--non-interactive", str(tmp_path / "tiny_pkg-1.0.1.tar.gz")]
    code, twine_shown = _on_a_terminal(cmd, twine_env, None)  # twine draws its bar on stdout
    assert code == 0, twine_shown
    assert len(FINISHED_BAR.findall(twine_shown)) == 1, twine_shown


@pytest.mark.integration
def test_the_bar_is_not_drawn_when_stderr_is_not_a_terminal_and_json_keeps_its_fields(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    root, creds = _big_project(tmp_path, fresh_pypiserver)
    run = shipyard("release", "--json", "-C", str(root), env=creds)
    assert run.code == 0, run.text
    assert "━" not in run.text and "%" not in run.err
    doc = json.loads(run.out)
    kept = {"ok", "command", "name", "version", "target", "dists", "test_install", "stages", "recorded"}
    assert kept | {"warnings", "dry_run"} <= set(doc)
    assert doc["url"] == f"{fresh_pypiserver.simple_url}tiny-pkg/"


@pytest.mark.integration
def test_build_lists_each_file_once(
    shipyard: ShipyardCLI, fresh_pypiserver: TestIndex, tmp_path: Path
) -> None:
    root, _ = staging_project(tmp_path, fresh_pypiserver)
    run = shipyard("build", "-C", str(root))
    assert run.code == 0, run.text
    for name in ("tiny_pkg-1.0.0.tar.gz", "tiny_pkg-1.0.0-py3-none-any.whl"):
        assert run.out.count(name) == 1, run.out
    assert run.out.splitlines()[-1] == f"built 2 files in {root / 'dist'}"


def test_the_page_named_is_the_project_page_on_pypi_and_testpypi_and_the_simple_page_elsewhere() -> None:
    pypi = Repository("pypi", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/", public=True)
    test = Repository("testpypi", "https://test.pypi.org/legacy/", "https://test.pypi.org/simple/")
    other = Repository("corp", "https://pkgs.example/upload/", "https://pkgs.example/simple")
    assert release_page(pypi, "Tiny_Pkg", "1.0.0") == "https://pypi.org/project/tiny-pkg/1.0.0/"
    assert release_page(test, "tiny.pkg", "2.0rc1") == "https://test.pypi.org/project/tiny-pkg/2.0rc1/"
    assert release_page(other, "Tiny_Pkg", "1.0.0") == "https://pkgs.example/simple/tiny-pkg/"
