"""Known fake secrets from every source (SHIPYARD_*_TOKEN, TWINE_PASSWORD, UV_PUBLISH_PASSWORD, .env, ~/.pypirc), the
suite's main commands (successful, failing with wrong credentials, --json, --verbose, --debug)
against a real pypiserver, then a scan of every captured output and every file written under the
project, HOME, the temporary folder and the index for each secret, url-encoded and in base64
(alone, and as the HTTP Basic `user:secret`). The figures are printed (pytest -s shows them)."""

from __future__ import annotations

import base64
import warnings
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, git, make_project, repositories_toml

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.apache import HtpasswdFile

pytestmark = pytest.mark.integration

TOKEN = "pypi-AgEIcHlwaS5vcmcCJHNjYW4tdG9rZW4tZm9yLXNoaXB5YXJkLXNlY3JldC1zY2Fu"  # shipyard: fake-token
WRONG = "pypi-AgEIcHlwaS5vcmcCJHdyb25nLXNjYW4tdG9rZW4tZm9yLXNoaXB5YXJkLXRlc3Q"  # shipyard: fake-token
DOTENV = "pypi-AgEIcHlwaS5vcmcCJGRvdGVudi1zY2FuLXRva2VuLWZvci1zaGlweWFyZC10ZXN0"  # shipyard: fake-token
TWINE = "twine/Secret+Value=42&more"
PYPIRC = "pypirc Secret#Value:99"
UV = "uv Publish/Secret=7+more"  # UV_PUBLISH_PASSWORD, a login the index does not know
LOGINS = {"__token__": (TOKEN, WRONG, DOTENV), "twineuser": (TWINE,), "deploy": (PYPIRC,), "uvuser": (UV,)}


def forms() -> dict[bytes, str]:
    """Every byte string that would betray a secret -> a name for it."""
    found: dict[bytes, str] = {}
    for user, secrets in LOGINS.items():
        for n, secret in enumerate(secrets):
            name = f"{user}#{n}"
            found[secret.encode()] = name
            found[quote(secret, safe="").encode()] = f"{name} url-encoded"
            found[quote(secret).encode()] = f"{name} url-encoded"
            found[base64.b64encode(secret.encode()).rstrip(b"=")] = f"{name} base64"
            found[base64.b64encode(f"{user}:{secret}".encode()).rstrip(b"=")] = f"{name} basic-auth"
            if secret.startswith("pypi-"):
                found[secret[5:].encode()] = f"{name} body"
    return found


def test_no_secret_in_any_output_or_written_file(
    shipyard: ShipyardCLI, tmp_path: Path, home: Path, fresh_pypiserver: TestIndex
) -> None:
    server = fresh_pypiserver
    htpasswd = HtpasswdFile(str(server.root.parent / "htpasswd"))
    htpasswd.set_password("__token__", TOKEN)
    htpasswd.set_password("twineuser", TWINE)
    htpasswd.set_password("deploy", PYPIRC)
    htpasswd.save()
    names = ("staging", "wrong", "dotenv", "rc", "twined")
    tool = '[tool.shipyard]\nstages = ["staging"]\n\n' + repositories_toml(**dict.fromkeys(names, server))
    root = make_project(tmp_path / "proj", tool=tool)
    (root / ".env").write_text(f"SHIPYARD_DOTENV_TOKEN={DOTENV}\n")
    (home / ".pypirc").write_text(
        f"[distutils]\nindex-servers = rc\n\n[rc]\nrepository = {server.upload_url}\n"
        f"username = deploy\npassword = {PYPIRC}\n"
    )
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    base = {"TMPDIR": str(tmp), "SHIPYARD_STAGING_TOKEN": TOKEN, "SHIPYARD_WRONG_TOKEN": WRONG}
    twine = {"TMPDIR": str(tmp), "TWINE_USERNAME": "twineuser", "TWINE_PASSWORD": TWINE}
    uv = {"TMPDIR": str(tmp), "UV_PUBLISH_URL": server.upload_url, "UV_PUBLISH_USERNAME": "uvuser"}
    uv["UV_PUBLISH_PASSWORD"] = UV
    p = ["-C", str(root)]
    quick = "--no-test-install"
    # a wheel carrying the token and a .pypirc, built elsewhere (outside the scanned folders)
    evil = tmp_path / "elsewhere" / "tiny_pkg-1.0.0-py3-none-any.whl"
    evil.parent.mkdir()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("tiny_pkg/settings.py", f'TOKEN = "{TOKEN}"\n')
        zf.writestr("tiny_pkg/.pypirc", f"[pypi]\npassword = {PYPIRC}\n")
    no_pypirc = {**twine, "SHIPYARD_PYPIRC": str(tmp_path / "no-pypirc")}
    elsewhere = [
        "--repository-url",
        "http://127.0.0.1:9/legacy/",
        "--simple-url",
        "http://127.0.0.1:9/simple/",
    ]
    commands: list[tuple[int, list[str], dict[str, str]]] = [
        (0, ["build", *p, "--verbose"], base),
        (0, ["build", *p, "--json", "--debug"], base),
        (0, ["check", *p, "--debug"], base),
        (0, ["check", *p, "--json"], base),
        (0, ["version", *p, "--json", "--debug"], base),
        (0, ["plan", *p, "--debug"], base),
        (0, ["plan", *p, "--json"], base),
        (0, ["doctor", *p, "--debug"], base),
        (0, ["doctor", *p, "--json"], base),
        (0, ["test-install", *p, "--verbose", "--debug"], base),
        # wrong credentials from each source, before anything is on the index: the uploads fail
        (1, ["publish", "--to", "wrong", *p, "--debug", "--verbose"], base),
        (1, ["publish", "--to", "wrong", *p, "--json"], base),
        (1, ["publish", "--to", "dotenv", *p, "--debug", "--json"], base),
        (1, ["verify", "--on", "wrong", "--timeout", "0", *p, "--verbose", "--debug"], base),
        (1, ["release", "--stages", "wrong", *p, quick, "--debug", "--verbose"], base),
        (1, ["publish", "--to", "twined", *p, "--debug"], {**twine, "TWINE_PASSWORD": TWINE + "x"}),
        (1, ["publish", *p, "--debug", "--verbose"], uv),  # the target and credential from uv's variables
        # credentials that would go astray are refused, and named by their source only
        (2, ["publish", "--to", "rc", *elsewhere, *p, "--debug"], base),  # [rc] is for the server's URL
        # one TWINE_PASSWORD for two stages (no .pypirc, which would serve both: they share the URL)
        (2, ["release", "--stages", "twined,rc", *p, quick, "--debug", "--json"], no_pypirc),
        # a dist carrying credentials, named to publish: refused before any upload, the token not shown
        (1, ["publish", "--to", "staging", *p, str(evil), "--debug", "--verbose"], base),
        (1, ["publish", "--to", "staging", *p, str(evil), "--json"], base),
        # a credential in a URL is refused, and not echoed
        (2, ["publish", "--repository-url", f"http://__token__:{TOKEN}@127.0.0.1:9/", *p, "--debug"], base),
        (2, ["publish", "--repository-url", f"ftp://__token__:{TOKEN}@127.0.0.1/", *p, "--json"], base),
        # the right credentials, from each source
        (0, ["publish", "--to", "rc", *p, "--debug", "--verbose"], base),
        (0, ["verify", "--on", "rc", *p, "--debug"], base),
        (0, ["publish", "--to", "twined", *p, "--debug", "--json"], twine),
        (0, ["verify", "--on", "twined", *p, "--verbose"], twine),
        (0, ["publish", "--to", "staging", *p, "--json"], base),
        (0, ["verify", "--on", "staging", *p, "--json", "--debug"], base),
        (0, ["release", *p, quick, "--debug", "--verbose"], base),
        (0, ["release", "--tag", *p, quick, "--json"], base),  # tags v1.0.0: --bump follows
    ]
    leaks = forms()
    outputs = []
    for expected, args, env in commands:
        run = shipyard(*args, env=env)
        outputs.append((" ".join(args), run.text))
        assert run.code == expected, (args, run.text)  # each path, successful or failing, was taken

    # a token pasted into a commit message must not travel into the changelog, release commit or tag
    (root / "src" / "tiny_pkg" / "fix.py").write_text("X = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"fix: stop printing {TOKEN}")
    run = shipyard("release", "--bump", *p, quick, "--debug", env=base)
    assert run.code == 0, run.text
    outputs.append(("release --bump", run.text))
    # known to the redactor before the notes were written: masked whole, not only by its pypi- shape
    assert "- stop printing ***\n" in (root / "CHANGELOG.md").read_text()
    outputs.append(
        ("release commit and tag", git(root, "log", "-1", "--format=%B") + git(root, "tag", "-n99"))
    )

    found = [(what, leaks[f]) for what, text in outputs for f in leaks if f in text.encode()]
    sources = {root / ".env", home / ".pypirc", server.root.parent / "htpasswd"}
    # git's reflog and last message hold the subject of the user's own commit with the pasted token:
    # the user's leak (doctor reports it), not shipyard's; the release's commit and tag are checked above
    users = {root / ".git" / "COMMIT_EDITMSG", *(root / ".git" / "logs").rglob("*")}
    scanned = 0
    for folder in (root, home, tmp, server.root):
        for path in folder.rglob("*"):
            if path.is_file() and path not in sources | users:
                scanned += 1
                data = path.read_bytes()
                found += [(str(path), leaks[f]) for f in leaks if f in data]
    print(
        f"\nsecret scan: {len(commands) + 1} commands run, {len(outputs)} outputs and {scanned} files "
        f"scanned for {len(leaks)} forms of {sum(map(len, LOGINS.values()))} secrets; found {len(found)}"
    )
    assert found == []
    assert not list(tmp.glob("shipyard-private-*")), "a private credential folder was left behind"
