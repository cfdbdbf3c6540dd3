"""Real package index servers (pypiserver, devpi) on 127.0.0.1 for tests.

Load as a pytest plugin (``pytest_plugins = ["tests.helpers.indexes"]``) to get the
fixtures ``pypiserver_index``, ``devpi_index`` (session scope) and
``fresh_pypiserver``, ``fresh_devpi_index`` (one empty index per test).
"""

from __future__ import annotations

import contextlib
import html
import itertools
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import requests
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

with warnings.catch_warnings():
    # passlib 1.7.4 imports the stdlib ``crypt`` (deprecated in 3.11, gone in
    # 3.13, where passlib copes); keep that out of -W error runs.
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.apache import HtpasswdFile

USERNAME = "shipyard"
PASSWORD = "correct-horse"
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
PEP691_JSON = "application/vnd.pypi.simple.v1+json"
_HREF = re.compile(r'<a\s[^>]*href="([^"]+)"')


def client_env() -> dict[str, str]:
    """Environment for subprocesses (servers, twine, pip) started by tests.

    The machine's PIP_* settings add extra package sources, which would let
    pip find files the test index never served; PIP_CONFIG_FILE=os.devnull
    also disables every pip config file. TWINE_* could inject credentials
    and proxy variables could route 127.0.0.1 traffic elsewhere.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("PIP_", "TWINE_")) and not k.lower().endswith("_proxy")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def pip_install_from(python: Path, simple_url: str, *args: str) -> None:
    """pip install `args` into `python`'s venv from the index at `simple_url` alone: isolated from
    the machine's pip configuration, so nothing can come from another source."""
    subprocess.run(
        [str(python), "-m", "pip", "install", "--isolated", "--quiet", "--index-url", simple_url, *args],
        check=True,
        env=client_env(),
    )


def http_session() -> requests.Session:
    # trust_env=False: no proxies and no ~/.netrc credentials, so reads are
    # really anonymous and traffic really goes straight to 127.0.0.1.
    session = requests.Session()
    session.trust_env = False
    return session


@dataclass(frozen=True)
class TestIndex:
    """One index on a running server, with credentials that may upload to it."""

    __test__ = False  # not a test class, despite the name

    name: str  # "pypiserver" or "devpi"
    upload_url: str
    simple_url: str  # ends with "/"
    username: str
    password: str
    root: Path  # the server's storage directory

    def _files(self, project: str) -> dict[str, tuple[str, str]]:
        """filename -> (absolute url, sha256) as advertised on the simple page."""
        url = f"{self.simple_url}{canonicalize_name(project)}/"
        # devpi honours PEP 691 JSON; pypiserver ignores Accept and sends HTML.
        resp = http_session().get(url, headers={"Accept": f"{PEP691_JSON}, text/html;q=0.1"}, timeout=10)
        if resp.status_code == 404:
            return {}
        resp.raise_for_status()
        if resp.headers.get("Content-Type", "").startswith(PEP691_JSON):
            return {
                f["filename"]: (urljoin(resp.url, f["url"]), f["hashes"]["sha256"])
                for f in resp.json()["files"]
            }
        files = {}
        for href in map(html.unescape, _HREF.findall(resp.text)):
            link, _, fragment = urljoin(resp.url, href).partition("#")
            filename = unquote(urlsplit(link).path.rsplit("/", 1)[-1])
            files[filename] = (link, fragment.removeprefix("sha256="))
        return files

    def served_files(self, project: str) -> dict[str, str]:
        """filename -> sha256 the index currently advertises; {} if unknown."""
        return {name: sha for name, (_, sha) in self._files(project).items()}

    def replace_file(self, filename: str, content: bytes) -> None:
        """Make the index serve ``content`` under an already uploaded filename."""
        if self.name == "pypiserver":
            # Files live flat in the packages dir; with --backend simple-dir
            # the hash is recomputed on every request.
            target = self.root / filename
            if not target.is_file():
                raise FileNotFoundError(target)
            target.write_bytes(content)
            return
        # devpi records each file's sha256 in its database, so editing the
        # file on disk would not change the advertised hash. Instead use its
        # API: ``?force`` deletes even from a non-volatile index, and the
        # filename is then free for a new upload.
        if filename.endswith(".whl"):
            project, version = parse_wheel_filename(filename)[:2]
        else:
            project, version = parse_sdist_filename(filename)
        url, _ = self._files(project)[filename]
        auth = (self.username, self.password)
        http = http_session()
        http.delete(url, params={"force": ""}, auth=auth, timeout=10).raise_for_status()
        http.post(
            self.upload_url,
            data={":action": "file_upload", "name": project, "version": str(version)},
            files={"content": (filename, content)},
            auth=auth,
            timeout=10,
        ).raise_for_status()


def _executable(name: str) -> Path:
    # Next to sys.executable, so the servers come from the running venv
    # whether or not it is activated.
    exe = Path(sys.executable).parent / name
    return required(exe, f"{exe} not installed")


def required(path: Path, missing: str) -> Path:
    """`path` if it exists; else skip, or fail where `./run.sh test` promised every tool."""
    if not path.exists():
        if os.environ.get("SHIPYARD_REQUIRE_SERVERS") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def _running(cmd: list[str], ready_url: str, log: Path) -> Iterator[None]:
    """Run a server until the block ends; ready once ``ready_url`` answers."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=client_env())
    try:
        deadline = time.monotonic() + START_TIMEOUT
        http = http_session()
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{cmd[0]} exited with {proc.returncode}:\n{_tail(log)}")
            with contextlib.suppress(requests.ConnectionError):
                if http.get(ready_url, timeout=1).status_code < 500:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"{cmd[0]} not ready after {START_TIMEOUT}s:\n{_tail(log)}")
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def start_pypiserver(
    tmp: Path, users: Mapping[str, str] | None = None, authenticate: str = "update"
) -> Iterator[TestIndex]:
    """A pypiserver whose packages dir is ``tmp/packages``; uploads need auth (USERNAME, or ``users``;
    with ``authenticate="download,list,update"`` reads too)."""
    exe = _executable("pypi-server")
    packages = tmp / "packages"
    packages.mkdir()
    htpasswd = HtpasswdFile(str(tmp / "htpasswd"), new=True)
    htpasswd.set_password(USERNAME, PASSWORD)
    for user, password in (users or {}).items():
        htpasswd.set_password(user, password)
    htpasswd.save()
    port = _free_port()
    base = f"http://{HOST}:{port}/"
    cmd = [
        str(exe), "run", "-i", HOST, "-p", str(port),
        "-P", str(tmp / "htpasswd"),
        "-a", authenticate,  # by default only uploads need auth; simple pages stay anonymous
        "--disable-fallback",  # never redirect unknown projects to pypi.org
        "--backend", "simple-dir",  # no caching: replace_file shows at once
        str(packages),
    ]  # fmt: skip
    with _running(cmd, f"{base}health", tmp / "server.log"):
        yield TestIndex("pypiserver", base, f"{base}simple/", USERNAME, PASSWORD, packages)


_index_numbers = itertools.count(1)


def _create_devpi_index(base: str, root: Path, index: str) -> TestIndex:
    url = f"{base}{USERNAME}/{index}/"
    http_session().put(
        url,
        # volatile=False: re-uploads and deletions behave like on pypi.org.
        json={"type": "stage", "bases": [], "volatile": False},
        headers={"Accept": "application/json"},
        auth=(USERNAME, PASSWORD),
        timeout=10,
    ).raise_for_status()
    return TestIndex("devpi", url, f"{url}+simple/", USERNAME, PASSWORD, root)


def new_devpi_index(server: TestIndex) -> TestIndex:
    """Create an empty index ``USERNAME/idx-N`` on ``server``'s devpi (~0.1 s)."""
    return _create_devpi_index(
        urljoin(server.upload_url, "../../"), server.root, f"idx-{next(_index_numbers)}"
    )


@contextlib.contextmanager
def start_devpi(tmp: Path) -> Iterator[TestIndex]:
    """A devpi-server with user USERNAME and its empty index ``USERNAME/prod``."""
    serverdir = tmp / "server"
    # No root/pypi mirror: indexes must only ever contain what tests upload.
    # Output is not captured here so that pytest shows it if init fails.
    subprocess.run(
        [str(_executable("devpi-init")), "--serverdir", str(serverdir), "--no-root-pypi",
         "--root-passwd", PASSWORD],
        check=True, env=client_env(),
    )  # fmt: skip
    port = _free_port()
    base = f"http://{HOST}:{port}/"
    cmd = [
        str(_executable("devpi-server")), "--serverdir", str(serverdir),
        "--host", HOST, "--port", str(port),
        # Hidden options (devpi's own tests lower them too): with the default
        # costs (512 MiB, 16 passes) deriving the auth secret makes startup
        # take ~5 s instead of ~0.5 s.
        "--argon2-memory-cost", "1024", "--argon2-time-cost", "1", "--argon2-parallelism", "1",
        "--offline-mode",  # never contact an upstream index
    ]  # fmt: skip
    with _running(cmd, f"{base}+api", tmp / "server.log"):
        # User creation is open to anonymous clients by default.
        http_session().put(
            f"{base}{USERNAME}",
            json={"password": PASSWORD},
            headers={"Accept": "application/json"},
            timeout=10,
        ).raise_for_status()
        yield _create_devpi_index(base, serverdir, "prod")


@pytest.fixture(scope="session")
def pypiserver_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestIndex]:
    with start_pypiserver(tmp_path_factory.mktemp("pypiserver")) as index:
        yield index


@pytest.fixture
def fresh_pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestIndex]:
    """A new, empty pypiserver per test (starts in ~0.2 s)."""
    with start_pypiserver(tmp_path_factory.mktemp("fresh-pypiserver")) as index:
        yield index


@pytest.fixture(scope="session")
def devpi_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestIndex]:
    with start_devpi(tmp_path_factory.mktemp("devpi")) as index:
        yield index


@pytest.fixture
def fresh_devpi_index(devpi_index: TestIndex) -> TestIndex:
    """A new, empty index on the session devpi server."""
    return new_devpi_index(devpi_index)
