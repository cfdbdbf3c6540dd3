"""The bad-input catalogue: every case through the real CLI, held to one bar.

For each: the exit code the README documents, exactly one line on stderr that starts with
`error: `, names the problem and the fix (both checked by substring), no traceback, nothing uploaded
(the test index's files are unchanged) and no file of the project changed (bytes and mtimes of every
file, `.git/` included, except git's own stat cache `.git/index`).

Unit-level checks of the same library messages live in test_config.py (19 cases),
test_credentials.py (11) and test_packrepo.py (5); this table holds the command-line contract.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers import hostile
from tests.helpers.confined import confined
from tests.helpers.indexes import TestIndex, start_pypiserver
from tests.helpers.projects import Run, ShipyardCLI, git, make_project
from tests.helpers.serving import serving

pytestmark = pytest.mark.integration

Setup = Callable[[Path], None]
Confine = Callable[[Path], Callable[[list[str]], list[str]]]


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    problem: str  # a substring of the error line that names what is wrong
    fix: str  # ... and one that says what to do
    setup: Setup | None = None
    env: dict[str, str] = field(default_factory=dict)
    project: str = "single"  # "single", "packrepo" or "empty"
    commit: bool = True  # commit the setup's changes (else the tree stays dirty)
    builds: bool = False  # got as far as a build: its files in dist/ (ignored by git) may change
    confine: Confine | None = None  # a full disk or a read-only folder (tests/helpers/confined.py)


# ---------------------------------------------------------------- servers that are not (good) indexes


class _NotAnIndex(BaseHTTPRequestHandler):
    """One server, several wrong answers by path prefix."""

    def _answer(self) -> None:
        path, host = self.path, f"localhost:{self.server.server_port}"  # type: ignore[attr-defined]
        if path.startswith("/static/"):  # a plain file server: nothing there, no POST
            status, ctype, body = (404 if self.command == "GET" else 501), "text/html", "<h1>Not Found</h1>"
        elif path.startswith("/welcome/"):  # a web server's welcome page, and no uploads
            ok = self.command == "GET"
            status, ctype = (200 if ok else 405), "text/html"
            body = "<html><body><h1>Welcome to nginx!</h1></body></html>"
        elif path.startswith("/redirect/"):  # everything moved to another host
            self.send_response(302)
            self.send_header("Location", f"http://{host}/elsewhere{path}")
            self.end_headers()
            return
        elif path.startswith("/error/"):  # a proxy's HTML error page
            status, ctype, body = 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"
        elif path.startswith("/json/"):  # some other JSON API
            status, ctype, body = 200, "application/json", '{"hello": "world"}'
        elif path.startswith(("/huge/", "/slow/")) and self.command == "GET":
            self._hostile(path)
            return
        else:
            status, ctype, body = 404, "text/plain", "nothing here"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _hostile(self, path: str) -> None:
        """/huge/: a page that says it has a terabyte; /slow/: a page sent one byte a second."""
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(10**12 if path.startswith("/huge/") else 120))
        self.end_headers()
        try:
            for _ in range(0 if path.startswith("/huge/") else 120):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1)
        except OSError:  # cut off by the client: what the case wants
            pass
        self.close_connection = True

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        self._answer()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def odd_server() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _NotAnIndex)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestIndex]:
    with start_pypiserver(tmp_path_factory.mktemp("bad-input-index")) as found:
        yield found


def _repo(name: str, upload: str, simple: str, extra: str = "") -> str:
    return f'[tool.shipyard.repositories.{name}]\nupload-url = "{upload}"\nsimple-url = "{simple}"\n{extra}\n'


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory, index: TestIndex, odd_server: str) -> dict[str, Path]:
    """A built single project whose config declares every kind of index, and a packaging repository."""
    from tests.helpers.packrepo import example_repo

    base = tmp_path_factory.mktemp("bad-input-templates")
    repos = [
        _repo("staging", index.upload_url, index.simple_url),
        _repo("open", index.upload_url, index.simple_url, 'auth = "none"'),
        _repo("down", "http://127.0.0.1:9/", "http://127.0.0.1:9/simple/"),
        *(
            _repo(kind, f"{odd_server}/{kind}/", f"{odd_server}/{kind}/simple/")
            for kind in ("static", "welcome", "redirect", "error", "json", "huge", "slow")
        ),
    ]
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + "\n".join(repos)
    single = make_project(base / "single", tool=tool, with_tests=False)
    build(single)
    packrepo = example_repo(base / "pr")
    empty = base / "empty"
    empty.mkdir()
    return {"single": single, "packrepo": packrepo, "empty": empty}


# ---------------------------------------------------------------- set-ups


def tool_key(line: str) -> Setup:
    """Add `line` to [tool.shipyard]."""

    def setup(root: Path) -> None:
        path = root / "pyproject.toml"
        path.write_text(path.read_text().replace('stages = ["staging"]\n', f'stages = ["staging"]\n{line}\n'))

    return setup


def replace(rel: str, old: str, new: str) -> Setup:
    def setup(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new))

    return setup


def write(rel: str, text: str) -> Setup:
    def setup(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)

    return setup


def latin1(rel: str, old: str, new: str) -> Setup:
    """Replace `old` with `new` and save the file as latin-1 (not UTF-8)."""

    def setup(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_bytes(text.replace(old, new).encode("latin-1"))

    return setup


def raw(rel: str, data: bytes) -> Setup:
    def setup(root: Path) -> None:
        (root / rel).write_bytes(data)

    return setup


def folder(rel: str) -> Setup:
    """`rel` becomes an (empty) folder, whatever it was."""

    def setup(root: Path) -> None:
        (root / rel).unlink()
        (root / rel).mkdir()

    return setup


def both(*setups: Setup) -> Setup:
    def setup(root: Path) -> None:
        for one in setups:
            one(root)

    return setup


def tool_table(text: str) -> Setup:
    """Replace all of [tool.shipyard] (and its repositories) with `text`."""

    def setup(root: Path) -> None:
        path = root / "pyproject.toml"
        before = path.read_text()
        path.write_text(before[: before.index("[tool.shipyard]")] + text + "\n")

    return setup


def build(root: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "shipyard", "build", "-C", str(root)], check=True, capture_output=True
    )


def write_more(rel: str, text: str) -> Setup:
    """`text` added at the end of `rel`."""

    def setup(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text() + text)

    return setup


def add_repo(body: str) -> Setup:
    """Declare a repository `x` whose table holds `body`."""

    def setup(root: Path) -> None:
        path = root / "pyproject.toml"
        path.write_text(path.read_text() + f"[tool.shipyard.repositories.x]\n{body}\n")

    return setup


def tracked(rel: str, text: str) -> Setup:
    """`rel` written and added to git even where .gitignore says not to (a committed .env)."""

    def setup(root: Path) -> None:
        write(rel, text)(root)
        git(root, "add", "-f", rel)

    return setup


def linked(rel: str, target: str) -> Setup:
    def setup(root: Path) -> None:
        (root / rel).symlink_to(target)

    return setup


def built(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", "what the build packs")  # hatchling packs what git does not ignore
    build(root)


def tag(name: str) -> Setup:
    def setup(root: Path) -> None:
        git(root, "tag", name)

    return setup


def tag_elsewhere(name: str) -> Setup:
    def setup(root: Path) -> None:
        git(root, "commit", "-q", "--allow-empty", "-m", "before")
        git(root, "tag", name, "HEAD~1")

    return setup


def commit_message(message: str) -> Setup:
    def setup(root: Path) -> None:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", message)

    return setup


def track(rel: str) -> Setup:
    def setup(root: Path) -> None:
        git(root, "add", "-f", rel)

    return setup


def hostile_sdist(kind: str) -> Setup:
    """bad/tiny_pkg-1.0.0.tar.gz: the real build's sdist made hostile (tests/helpers/hostile.py)."""

    def setup(root: Path) -> None:
        hostile.sdist(root / "dist" / "tiny_pkg-1.0.0.tar.gz", root / "bad", kind)

    return setup


def hostile_wheel(member: str) -> Setup:
    def setup(root: Path) -> None:
        hostile.wheel(root / "dist" / "tiny_pkg-1.0.0-py3-none-any.whl", root / "bad", member)

    return setup


def disk_full(rel: str, kib: int) -> Confine:
    """`rel` is an empty tmpfs of `kib` KiB for the command: the disk fills up there."""
    return lambda root: functools.partial(confined, full={root / rel: kib})


def read_only(rel: str) -> Confine:
    return lambda root: functools.partial(confined, read_only=[root / rel])


def mkdir(rel: str) -> Setup:
    return lambda root: (root / rel).mkdir(parents=True, exist_ok=True)


def remove(rel: str) -> Setup:
    return lambda root: shutil.rmtree(root / rel)


CREDS = {"SHIPYARD_STAGING_USERNAME": "shipyard", "SHIPYARD_STAGING_PASSWORD": "correct-horse"}
PUBLISH = ("publish", "--to")
DRY = ("publish", "--to", "staging", "--dry-run")
RELEASE = ("release", "--no-test-install", "--no-verify-install")
RELEASE_DRY = ("release", "--dry-run", "--no-test-install")
PR = "packrepo"
BAD_SDIST = "bad/tiny_pkg-1.0.0.tar.gz"

# fmt: off
CASES = [
    # ---- configuration: pyproject.toml and [tool.shipyard]
    Case("toml-malformed", DRY, 2, "is not valid TOML", "line", replace("pyproject.toml", "[project]", "[project")),
    Case("toml-not-utf8", RELEASE_DRY, 2, "is not UTF-8 text", "save it as UTF-8", latin1("pyproject.toml", "A test package", "Ä test package")),
    Case("toml-a-folder", RELEASE_DRY, 2, "is a folder, not a file", "TOML file", folder("pyproject.toml")),
    Case("toml-project-array", RELEASE_DRY, 2, "[project]", "write [project]", replace("pyproject.toml", "[project]", "[[project]]")),
    Case("changelog-outside", ("release", "--bump", "--dry-run"), 2, "'changelog'", "inside the project", tool_key('changelog = "../../x"')),
    Case("git-missing", RELEASE_DRY, 2, "git is not installed", "install git", env={"PATH": str(Path(sys.executable).parent)}),
    Case("toml-unknown-key", DRY, 2, "unknown key 'stagess'", "known:", tool_key('stagess = ["pypi"]')),
    Case("toml-not-a-table", DRY, 2, "[tool.shipyard]", "must be a table", tool_table('[tool]\nshipyard = "x"')),
    Case("stages-empty", DRY, 2, "names no repository", "at least one",
         replace("pyproject.toml", 'stages = ["staging"]', "stages = []")),
    Case("stages-wrong-type", DRY, 2, "option 'stages'", "list of repository names",
         replace("pyproject.toml", 'stages = ["staging"]', "stages = 3")),
    Case("stages-unknown-repository", ("release", "--dry-run"), 2, "unknown repository 'prod'", "declare it",
         replace("pyproject.toml", 'stages = ["staging"]', 'stages = ["prod"]')),
    Case("tag-without-version", DRY, 2, "option 'tag'", "{version}", tool_key('tag = "release"')),
    Case("tag-bad-placeholder", DRY, 2, "tag pattern", "{package}", tool_key('tag = "{name}-{version}"')),
    Case("tag-not-a-git-ref", DRY, 2, "valid git tag name", "v{version}", tool_key('tag = "v {version}"')),
    Case("timeout-not-a-number", DRY, 2, "'verify-timeout'", "number of seconds", tool_key('verify-timeout = "soon"')),
    Case("timeout-negative", DRY, 2, "'verify-timeout'", "must not be negative", tool_key("verify-timeout = -1")),
    Case("bool-not-a-bool", DRY, 2, "'test-install'", "true or false", tool_key('test-install = "maybe"')),
    Case("version-source-choice", DRY, 2, "'version-source'", "one of tag, project", tool_key('version-source = "x"')),
    Case("commit-parser-choice", DRY, 2, "'commit-parser'", "one of both", tool_key('commit-parser = "angular"')),
    Case("dist-dir-wrong-type", DRY, 2, "'dist-dir'", "non-empty string", tool_key("dist-dir = 5")),
    Case("repositories-not-a-table", DRY, 2, "[tool.shipyard.repositories]", "table of repositories",
         tool_table('[tool.shipyard]\nstages = ["staging"]\nrepositories = "x"')),
    Case("repository-not-a-table", DRY, 2, "[tool.shipyard.repositories.odd]", "upload-url and simple-url",
         replace("pyproject.toml", 'stages = ["staging"]', 'stages = ["staging"]\nrepositories.odd = "http://h/"')),
    Case("repository-unknown-key", DRY, 2, "unknown key 'upload'", "known: auth",
         add_repo('upload = "https://h/legacy/"')),
    Case("repository-no-upload-url", DRY, 2, "needs upload-url", "upload endpoint",
         add_repo("public = true")),
    Case("upload-url-ftp", DRY, 2, "is not an http(s) URL", "upload-url",
         add_repo('upload-url = "ftp://h/"')),
    Case("upload-url-not-a-string", DRY, 2, "must be a string URL", "upload-url",
         add_repo("upload-url = 5")),
    Case("upload-url-no-host", DRY, 2, "is not an http(s) URL", "upload-url",
         add_repo('upload-url = "http:///legacy/"')),
    Case("upload-url-with-password", DRY, 2, "must not carry a password", "SHIPYARD_<NAME>_PASSWORD",
         add_repo('upload-url = "https://u:pw@h/legacy/"')),
    Case("simple-url-missing", DRY, 2, "needs simple-url", "reads what the index serves",
         add_repo('upload-url = "https://h/upload/"')),
    Case("auth-choice", DRY, 2, "auth must be", '"required" or "none"',
         add_repo('upload-url = "https://h/legacy/"\nauth = "maybe"')),
    Case("public-not-a-bool", DRY, 2, "public", "true or false",
         add_repo('upload-url = "https://h/legacy/"\npublic = "perhaps"')),
    Case("env-timeout", DRY, 2, "SHIPYARD_VERIFY_TIMEOUT", "number of seconds", env={"SHIPYARD_VERIFY_TIMEOUT": "soon"}),
    Case("env-stages-empty", DRY, 2, "SHIPYARD_STAGES", "at least one", env={"SHIPYARD_STAGES": ","}),
    Case("env-bool", DRY, 2, "SHIPYARD_ALLOW_UNVERIFIED", "true or false", env={"SHIPYARD_ALLOW_UNVERIFIED": "maybe"}),
    Case("no-pyproject", DRY, 2, "no pyproject.toml", "inside a Python project", project="empty"),
    Case("unknown-repository-flag", (*PUBLISH, "prod"), 2, "unknown repository 'prod'", "declare it"),
    Case("repository-url-ftp", ("publish", "--repository-url", "ftp://127.0.0.1/"), 2, "not an http(s) URL", "--repository-url"),
    Case("repository-url-needs-simple", ("publish", "--repository-url", "http://127.0.0.1:9/upload/"), 2,
         "needs --simple-url", "reads what the index serves"),
    # ---- versions and tags
    Case("tag-not-pep440", (*RELEASE, "--tag", "vbanana"), 2, "vbanana", "v{version}"),
    Case("tag-other-pattern", (*RELEASE, "--tag", "release/1.0.0"), 2, "release/1.0.0", "v{version}"),
    Case("tag-pattern-flag", ("plan", "--tag-pattern", "release"), 2, "{version}", "pattern"),
    Case("project-version-not-pep440", ("version",), 2, "1.0.banana", "PEP 440",
         both(replace("pyproject.toml", 'version = "1.0.0"', 'version = "1.0.banana"'),
              replace("src/tiny_pkg/__init__.py", '"1.0.0"', '"1.0.banana"'))),
    Case("version-lower-than-released", (*RELEASE, "--tag", "v0.9.0"), 2, "lower than", "v1.0.0", tag("v1.0.0")),
    Case("tag-on-another-commit", (*RELEASE, "--tag", "v1.0.0"), 2, "v1.0.0", "check that commit out", tag_elsewhere("v1.0.0")),
    Case("tag-differs-under-project-source", (*RELEASE, "--tag", "v2.0.0"), 2, "2.0.0", "version-source",
         tool_key('version-source = "project"')),
    Case("pre-kind", (*RELEASE, "--bump", "--pre", "banana"), 2, "banana", "a, b, rc or dev"),
    Case("bad-paa-bracket", (*RELEASE, "--bump"), 2, "[tiny-pkg][x.y]", "--bump",          both(tag("v1.0.0"), write("src/tiny_pkg/more.py", "Y = 2\n"), commit_message("[tiny-pkg][x.y] note"))),
    Case("version-files-not-path-name", ("release", "--bump", "--dry-run"), 2, "'release' is not PATH:NAME", "docs/conf.py:release",
         tool_key('version-files = ["release"]')),
    Case("version-files-outside", ("release", "--bump", "--dry-run"), 2, "'../docs/conf.py' must be a file inside the project", "",
         tool_key('version-files = ["../docs/conf.py:release"]')),
    Case("version-files-missing-file", (*RELEASE, "--bump"), 2, "docs/conf.py does not exist", "fix the entry",
         both(tool_key('version-files = ["docs/conf.py:release"]'), tag("v1.0.0"), write("src/tiny_pkg/more.py", "Y = 2\n"), commit_message("fix: more"))),
    Case("version-files-missing-name", (*RELEASE, "--bump"), 2, 'docs/conf.py holds no release = "..."', "fix the entry",
         both(tool_key('version-files = ["docs/conf.py:release"]'), write("docs/conf.py", "release = get_version()\n"), tag("v1.0.0"),
              write("src/tiny_pkg/more.py", "Y = 2\n"), commit_message("fix: more"))),
    Case("dirty-tree", (*RELEASE, "--bump", "patch"), 2, "uncommitted", "--allow-dirty",
         write("src/tiny_pkg/extra.py", "X = 1\n"), commit=False),
    # ---- project metadata
    Case("no-project-name", ("plan",), 2, "declares no [project] name", "name",
         replace("pyproject.toml", 'name = "tiny-pkg"\n', "")),
    Case("readme-missing", ("build", "--dry-run"), 1, "Readme file does not exist: NOPE.md", "--verbose",
         replace("pyproject.toml", 'readme = "README.md"', 'readme = "NOPE.md"')),
    Case("readme-does-not-render", ("check",), 1, "README", "",
         both(replace("pyproject.toml", 'readme = "README.md"', 'readme = "README.rst"'),
              write("README.rst", "Title\n=====\n\n.. nonsense:: broken\n\n`unclosed\n"), build)),
    Case("no-build-yet", (*PUBLISH, "staging"), 2, "no build", "shipyard build", remove("dist")),
    Case("file-not-found", (*PUBLISH, "staging", "nope-1.0.whl"), 2, "nope-1.0.whl", ""),
    Case("file-not-a-dist", (*PUBLISH, "staging", "README.md"), 2, "README.md", "wheel"),
    # ---- files named to publish pass the checks a release's own pass (issue 12, point 14)
    Case("publish-sdist-climbs-out", (*PUBLISH, "staging", BAD_SDIST), 1, "a member outside the folder it unpacks into (tiny_pkg-1.0.0/../../escaped.txt)",
         "build it again", hostile_sdist("climbs-out")),
    Case("publish-sdist-absolute-member", (*PUBLISH, "staging", BAD_SDIST), 1, "outside the folder it unpacks into (/tmp/shipyard-escaped.txt)",
         "build it again", hostile_sdist("absolute")),
    Case("publish-sdist-link-to-shadow", (*PUBLISH, "staging", BAD_SDIST), 1, "a link out of the archive (tiny_pkg-1.0.0/shadow -> /etc/shadow)",
         "build it again", hostile_sdist("link")),
    Case("publish-sdist-carries-pypirc", (*PUBLISH, "staging", BAD_SDIST), 1, "contains a .pypirc (index credentials)", "rotate",
         hostile_sdist("pypirc")),
    Case("publish-sdist-junk-metadata", (*PUBLISH, "staging", BAD_SDIST), 1, "unreadable metadata", "build it again",
         hostile_sdist("junk-metadata")),
    Case("publish-wheel-climbs-out", (*PUBLISH, "staging", "bad/tiny_pkg-1.0.0-py3-none-any.whl"), 1,
         "outside the folder it unpacks into (../../escaped.py)", "build it again", hostile_wheel("../../escaped.py")),
    Case("check-sdist-climbs-out", ("check", BAD_SDIST), 1, "a member outside the folder", "build it again", hostile_sdist("climbs-out")),
    Case("check-sdist-link-to-shadow", ("check", BAD_SDIST), 1, "-> /etc/shadow", "build it again", hostile_sdist("link")),
    Case("check-sdist-junk-metadata", ("check", BAD_SDIST), 1, "unreadable metadata", "build it again", hostile_sdist("junk-metadata")),
    # ---- a full disk, a read-only folder: real ENOSPC and EROFS in the command's mount namespace
    Case("build-disk-full", ("build",), 1, "No space left on device", "free some space", confine=disk_full("dist", 4), builds=True),
    Case("local-index-disk-full", (*PUBLISH, "local"), 1, ".shipyard/index/", "nothing was left half written",
         confine=disk_full(".shipyard/index", 8)),
    Case("state-read-only", RELEASE, 2, "(Read-only file system), where shipyard records what each stage", "nothing was uploaded",
         mkdir(".shipyard/state"), confine=read_only(".shipyard/state"), builds=True),
    Case("project-read-only-publish", (*PUBLISH, "staging"), 2, "where shipyard records the audit log", "nothing was uploaded",
         confine=read_only(".")),
    # ---- packaging-repository modules
    Case("module-syntax-error", ("assemble", "broken", "--version", "1.0.0"), 2, "modules/broken.py:3: does not parse", "",
         write("modules/broken.py", '"""Broken."""\n\ndef f(:\n    pass\n'), project=PR),
    Case("module-no-description", ("assemble", "nodoc", "--version", "1.0.0"), 2, "no description", "",
         write("modules/nodoc.py", "X = 1\n"), project=PR),
    Case("module-bad-metadata", ("assemble", "meta", "--version", "1.0.0"), 2, "__package_metadata__", "",
         write("modules/meta.py", '"""Meta."""\n\n__package_metadata__ = make_metadata()\n'), project=PR),
    Case("module-unknown-import", ("assemble", "unk", "--version", "1.0.0"), 2, "cannot tell which distribution", "",
         write("modules/unk.py", '"""Unknown."""\n\nimport surely_not_a_real_package_xyz\n'), project=PR),
    Case("module-unknown-name", ("assemble", "nosuch", "--version", "1.0.0"), 2, "nosuch", "", project=PR),
    Case("shipyard-toml-malformed", ("plan",), 2, "shipyard.toml", "line",
         replace("shipyard.toml", "[packages.greetings]", "[packages.greetings"), project=PR),
    Case("shipyard-toml-unknown-key", ("plan",), 2, "unknown key", "known:",
         replace("shipyard.toml", 'tag = "{package}-v{version}"', 'tag = "{package}-v{version}"\nstagez = 1'), project=PR),
    Case("new-bad-module-name", ("new", "Word Count"), 2, "is no module name", "", project=PR),
    # ---- credentials
    Case("credential-missing", (*PUBLISH, "staging"), 2, "no credential for repository 'staging'", "SHIPYARD_STAGING_TOKEN",
         env={"SHIPYARD_STAGING_USERNAME": "", "SHIPYARD_STAGING_PASSWORD": ""}),
    Case("credential-half-pair", (*PUBLISH, "staging"), 2, "SHIPYARD_STAGING_PASSWORD is not set", "goes with",
         env={"SHIPYARD_STAGING_PASSWORD": ""}),
    Case("credential-wrong-password", (*PUBLISH, "staging"), 1, "HTTP 403", "fix or renew it",
         env={"SHIPYARD_STAGING_PASSWORD": "wrong-horse"}),
    Case("credential-none-sent", (*PUBLISH, "open"), 1, "HTTP 401", 'remove auth = "none"'),
    Case("token-invalid", (*PUBLISH, "staging"), 1, "HTTP 403", "SHIPYARD_STAGING_TOKEN",
         env={"SHIPYARD_STAGING_TOKEN": "pypi-AgEIcHlwaS5vcmcCJGV4cGlyZWQtdG9rZW4tZm9yLWJhZC1pbnB1dC10ZXN0cw"}),  # shipyard: fake-token
    Case("dotenv-tracked", (*PUBLISH, "staging"), 2, ".env is tracked by git", "git rm --cached",
         both(write(".env", "SHIPYARD_STAGING_TOKEN=x\n"), track(".env")),
         env={"SHIPYARD_STAGING_USERNAME": "", "SHIPYARD_STAGING_PASSWORD": ""}),
    Case("dotenv-not-utf8", (*PUBLISH, "staging"), 2, ".env is not UTF-8 text", "save it as UTF-8",
         raw(".env", "# Zugangsdaten f\u00fcr staging\nSHIPYARD_STAGING_TOKEN=x\n".encode("latin-1")),
         env={"SHIPYARD_STAGING_USERNAME": "", "SHIPYARD_STAGING_PASSWORD": ""}),
    Case("pypirc-malformed", (*PUBLISH, "staging"), 2, "cannot be parsed", "fix or remove",
         write("../pypirc", "[staging\npassword"),
         env={"SHIPYARD_STAGING_USERNAME": "", "SHIPYARD_STAGING_PASSWORD": "", "SHIPYARD_PYPIRC": "../pypirc"}),
    Case("pypirc-repository-without-url", (*PUBLISH, "bare"), 2, "pypirc [bare] has no repository", "add repository = URL",
         write("../pypirc", "[distutils]\nindex-servers = bare\n\n[bare]\nusername = me\n"), env={"SHIPYARD_PYPIRC": "../pypirc"}),
    Case("pypirc-repository-no-layout", (*PUBLISH, "odd"), 2, "pypirc [odd] needs simple_url", "cannot be derived",
         write("../pypirc", "[distutils]\nindex-servers = odd\n\n[odd]\nrepository = http://127.0.0.1:9/a/b/c/\n"),
         env={"SHIPYARD_PYPIRC": "../pypirc"}),
    Case("twine-and-uv-urls-disagree", ("publish",), 2, "name different indexes", "unset one",
         env={"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/", "UV_PUBLISH_URL": "http://127.0.0.1:8/"}),
    Case("twine-repository-url-no-layout", ("publish",), 2, "TWINE_REPOSITORY_URL needs --simple-url", "cannot be derived",
         env={"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/a/b/c/"}),
    # ---- indexes
    Case("index-unreachable", (*PUBLISH, "down"), 1, "connection failed", "is the index running",
         env={"SHIPYARD_DOWN_TOKEN": "x-token-value"}),
    Case("index-unreachable-verify", ("verify", "--on", "down", "--timeout", "0"), 1, "connection failed", "is the index running",
         env={"SHIPYARD_DOWN_TOKEN": "x-token-value"}),
    Case("index-plain-file-server", (*PUBLISH, "static"), 1, "HTTP 501", "upload-url", env={"SHIPYARD_STATIC_TOKEN": "x-token-value"}),
    Case("index-welcome-page", (*PUBLISH, "welcome"), 1, "HTTP 405", "upload-url", env={"SHIPYARD_WELCOME_TOKEN": "x-token-value"}),
    Case("index-redirects-elsewhere", (*PUBLISH, "redirect"), 1, "redirects", "final address",
         env={"SHIPYARD_REDIRECT_TOKEN": "x-token-value"}),
    Case("index-html-error-page", (*PUBLISH, "error"), 1, "HTTP 502", "--allow-unverified", env={"SHIPYARD_ERROR_TOKEN": "x-token-value"}),
    Case("index-other-json-api", (*PUBLISH, "json"), 1, "not a package index page", "simple-url",
         env={"SHIPYARD_JSON_TOKEN": "x-token-value"}),
    Case("index-page-over-limit", (*PUBLISH, "huge"), 1, "sends a page over page-limit (52,428,800 bytes)",
         "raise page-limit", env={"SHIPYARD_HUGE_TOKEN": "x-token-value"}),
    Case("index-page-one-byte-a-second", (*PUBLISH, "slow", "--retry-timeout", "2"), 1, "cut off by its deadline",
         "raise that timeout", env={"SHIPYARD_SLOW_TOKEN": "x-token-value"}),
    Case("verify-page-one-byte-a-second", ("verify", "--on", "slow", "--timeout", "2", "--no-install"), 1,
         "verify --timeout 2 s", "raise that timeout", env={"SHIPYARD_SLOW_TOKEN": "x-token-value"}),
    Case("verify-page-over-limit", ("verify", "--on", "huge", "--page-limit", "1000", "--timeout", "0"), 1,
         "over page-limit (1,000 bytes)", "check the simple-url of huge", env={"SHIPYARD_HUGE_TOKEN": "x-token-value"}),
    Case("cli-page-limit-not-a-number", ("publish", "--page-limit", "big"), 2, "--page-limit: invalid int value", "shipyard publish --help"),
    Case("release-to-unreachable", (*RELEASE, "--stages", "down"), 1, "connection failed", "is the index running",
         env={"SHIPYARD_DOWN_TOKEN": "x-token-value"}, builds=True),
    # ---- command-line arguments
    Case("cli-unknown-flag", ("release", "--shiny"), 2, "unrecognized arguments: --shiny", "shipyard release --help"),
    Case("cli-unknown-command", ("shipit",), 2, "invalid choice: 'shipit'", "shipyard --help"),
    Case("cli-missing-value", ("publish", "--to"), 2, "expected one argument", "shipyard publish --help"),
    Case("cli-bad-choice", ("plan", "--bump", "huge"), 2, "invalid choice: 'huge'", "shipyard plan --help"),
    Case("cli-not-a-number", ("verify", "--timeout", "soon"), 2, "invalid float value", "shipyard verify --help"),
    Case("cli-timeout-nan", ("verify", "--timeout", "nan"), 2, "'--timeout'", "finite number of seconds"),
    Case("cli-upload-timeout-nan", ("publish", "--upload-timeout", "nan"), 2, "'--upload-timeout'", "finite number"),
    Case("cli-conflicting-flags", ("release", "--tag", "v1.0.0", "--bump"), 2, "--tag", "--bump"),
    Case("cli-project-not-a-folder", ("plan", "-C", "README.md"), 2, "README.md is not a folder", "-C PATH"),
    Case("cli-project-missing", ("doctor", "-C", "nowhere"), 2, "nowhere", "-C PATH"),
    # ---- credentials that would leak or go astray (issue 12)
    Case("dotenv-tracked-publish", (*PUBLISH, "staging"), 2, ".env is tracked by git", "git rm --cached .env",
         setup=tracked(".env", "SHIPYARD_STAGING_TOKEN=pypi-committed-value\n")),
    Case("dotenv-tracked-release", RELEASE, 2, ".env is tracked by git", "rotate the credentials",
         setup=tracked(".env", "X=1\n")),
    Case("dotenv-linked-outside", (*PUBLISH, "staging"), 2, "is a link to /etc/hostname, outside the project",
         "replace the link", setup=linked(".env", "/etc/hostname")),
    Case("dotenv-linked-to-tracked", RELEASE, 2, "which git tracks", "plain, untracked .env",
         setup=both(tracked("config/ci.env", "X=1\n"), linked(".env", "config/ci.env"))),
    Case("dist-carries-dotenv", ("check", "--to", "pypi"), 1, "contains a .env file (credentials): .env.production",
         "allow-files", setup=both(write(".env.production", "X=1\n"), built), builds=True),
    Case("dist-carries-token", ("check",), 1, "contains a GitLab token (glpat-ab...) at line 1",
         "rotate", setup=both(write("src/tiny_pkg/ci.py", f'T = "{"glpat-" + "ab12" * 5}"\n'), built), builds=True),
    Case("test-group-nowhere", ("test-install",), 2, "test-group 'nope' is declared nowhere",
         "add it to [dependency-groups]", setup=both(tool_key('test-group = "nope"'), write("tests/test_x.py", "X = 1\n"))),
    Case("dependency-group-cycle", ("test-install",), 2, "[dependency-groups] test: Cyclic dependency group include",
         "fix it there", setup=both(replace("pyproject.toml", "[tool.shipyard]",
         '[dependency-groups]\ntest = [{include-group = "test"}]\n\n[tool.shipyard]'), write("tests/test_x.py", "X = 1\n"))),
    Case("allow-files-not-a-list", ("check",), 2, "option 'allow-files'", "list of paths or globs",
         setup=tool_key("allow-files = 5")),
    Case("twine-for-two-stages", (*RELEASE, "--stages", "down,static"), 2, "no credential for repository 'down'",
         "TWINE_PASSWORD is used only for one target", env={"TWINE_USERNAME": "u", "TWINE_PASSWORD": "tw-value-long"}),
    Case("pypirc-for-another-url", (*PUBLISH, "down"), 2, "[down] is for https://elsewhere.example/legacy/",
         "set SHIPYARD_DOWN_TOKEN", setup=write("rc.ini", "[down]\nrepository = https://elsewhere.example/legacy/\n"
         "password = x-secret-value\n"), env={"SHIPYARD_PYPIRC": "rc.ini"}),
    # ---- credentials and id tokens bound to their own index (issue 21)
    Case("pypi-token-for-another-pypi", (*PUBLISH, "pypi", "--repository-url", "http://127.0.0.1:9/"), 2,
         "SHIPYARD_PYPI_TOKEN is PyPI's credential", "SHIPYARD_CUSTOM_TOKEN", env={"SHIPYARD_PYPI_TOKEN": "pypi-x-value-long"}),
    Case("testpypi-token-for-a-redefined-testpypi", (*RELEASE, "--stages", "testpypi"), 2,
         "SHIPYARD_TESTPYPI_TOKEN is TestPyPI's credential", "SHIPYARD_CORP_TOKEN",
         setup=write_more("pyproject.toml", '[tool.shipyard.repositories.testpypi]\nupload-url = "http://127.0.0.1:9/"\n'),
         env={"SHIPYARD_TESTPYPI_TOKEN": "pypi-x-value-long"}),
    Case("twine-password-for-uvs-target", ("publish",), 2, "TWINE_PASSWORD is twine's, and UV_PUBLISH_URL names uv's target",
         "set UV_PUBLISH_TOKEN", env={"UV_PUBLISH_URL": "http://127.0.0.1:9/", "TWINE_USERNAME": "u", "TWINE_PASSWORD": "tw-value-long"}),
    Case("uv-token-for-twines-target", ("publish",), 2, "UV_PUBLISH_TOKEN is uv's, and TWINE_REPOSITORY_URL names twine's target",
         "set TWINE_USERNAME/TWINE_PASSWORD", env={"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/", "UV_PUBLISH_TOKEN": "uv-value-long"}),
    Case("oidc-through-a-clear-text-proxy", (*PUBLISH, "down"), 2, "would pass the proxy 127.0.0.1:9 in clear text",
         "add its host to NO_PROXY", env={"GITLAB_CI": "true", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}),
]
# fmt: on


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime; `.git/index` is left out: git refreshes its stat cache on reads."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != ".git/index"
    }


def served(index: TestIndex) -> list[tuple[str, int]]:
    return sorted((p.name, p.stat().st_size) for p in index.root.iterdir())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_and_changes_nothing(
    case: Case, templates: dict[str, Path], index: TestIndex, shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(templates[case.project], root, symlinks=True)
    if case.setup:
        case.setup(root)
    if case.commit and (root / ".git").is_dir():
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "set-up")
    before, files_before = snapshot(root), served(index)
    args = case.args if "-C" in case.args else (*case.args, "-C", str(root))
    try:
        wrap = case.confine(root) if case.confine else None
        run: Run = shipyard(*args, env={**CREDS, **case.env}, cwd=root, wrap=wrap)
    finally:  # a case that uploads despite the bar must not change the next case's index
        uploaded = served(index)
        for name, _ in set(uploaded) - set(files_before):
            (index.root / name).unlink()
    lines = run.err.splitlines()
    assert (run.code, len(lines)) == (case.code, 1), run.text
    assert lines[0].startswith("error: ") and "Traceback" not in run.text, run.text
    assert case.problem in lines[0] and case.fix in lines[0], lines[0]
    assert uploaded == files_before, "something was uploaded"
    after = snapshot(root)
    if case.builds:
        before, after = ({k: v for k, v in s.items() if not k.startswith("dist/")} for s in (before, after))
    assert after.keys() == before.keys(), sorted(after.keys() ^ before.keys())
    assert [k for k in before if before[k] != after[k]] == []


def test_the_catalogue_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)
