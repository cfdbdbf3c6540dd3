"""Private credential files (removed on every exit path), encoded secret forms, redacted logging,
and the .pypirc that Azure's TwineAuthenticate writes at $PYPIRC_PATH."""

from __future__ import annotations

import base64
import logging
import signal
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from shipyard.cli.guard import redact_logs
from shipyard.config import Repository
from shipyard.index.base import Credential
from shipyard.index.credentials import resolve
from shipyard.secrets import MASK, Secret, redact
from shipyard.tools.secretfile import netrc_text, private_file
from tests.helpers.indexes import http_session, start_pypiserver
from tests.helpers.projects import ShipyardCLI, make_project, repositories_toml


def test_private_file_is_0600_in_a_0700_folder_and_gone_after_the_block() -> None:
    with private_file("netrc", "machine h login u password p\n") as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert path.read_text() == "machine h login u password p\n"
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize("raised", [RuntimeError("boom"), KeyboardInterrupt(), SystemExit(143)])
def test_private_file_is_removed_when_the_block_raises(raised: BaseException) -> None:
    seen: list[Path] = []
    with pytest.raises(type(raised)), private_file("pypirc", "[pypi]\npassword = x\n") as path:
        seen.append(path)
        raise raised
    assert not seen[0].parent.exists()


# A child that holds a private file, says where, and waits to be signalled; it runs the CLI's own
# signal set-up, so SIGTERM unwinds as it would under `shipyard release`. SIGINT's default handler
# is restored first: a run started in the background (`./run.sh test &`) hands its children an
# ignored SIGINT, and the test would then wait out its timeout.
CHILD = """
import signal, sys, time
from shipyard.cli.guard import terminate_on_sigterm, Terminated
from shipyard.tools.secretfile import private_file
signal.signal(signal.SIGINT, signal.default_int_handler)
terminate_on_sigterm()
try:
    with private_file("netrc", "machine h login u password p\\n") as path:
        print(path, flush=True)
        time.sleep(60)
except (Terminated, KeyboardInterrupt):
    sys.exit(9)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_private_file_is_removed_when_the_process_is_cancelled(signum: int) -> None:
    # started as from a background job, with SIGINT ignored: the child must still be cancellable
    ignored = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, preexec_fn=ignored
    )
    assert proc.stdout is not None
    path = Path(proc.stdout.readline().strip())
    assert path.is_file()
    proc.send_signal(signum)
    assert proc.wait(timeout=30) == 9
    assert not path.parent.exists()


def test_netrc_refuses_values_it_cannot_hold() -> None:
    assert netrc_text("127.0.0.1", "u", Secret("p w")) is None
    assert netrc_text("127.0.0.1", "__token__", Secret("pypi-abcd")) == (
        "machine 127.0.0.1\nlogin __token__\npassword pypi-abcd\n"
    )


def test_encoded_forms_and_the_basic_auth_header_are_masked() -> None:
    value = "s3cret/with+chars=&"
    Credential("deploy", Secret(value), "test", "https://example.invalid/legacy/")
    basic = base64.b64encode(f"deploy:{value}".encode()).decode()
    text = redact(
        f"q={quote(value, safe='')} b={base64.b64encode(value.encode()).decode()} Authorization: Basic {basic}"
    )
    assert value not in text and quote(value, safe="") not in text and basic not in text
    assert text.count(MASK) == 3


def test_library_log_records_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    old_factory, root = logging.getLogRecordFactory(), logging.getLogger()
    old_level, old_handlers = root.level, list(root.handlers)
    Secret("log-secret-value-123")
    try:
        redact_logs(debug=True)
        logging.getLogger("urllib3.connectionpool").debug("sending %s", "Bearer log-secret-value-123")
        try:
            raise ValueError("token log-secret-value-123 rejected")
        except ValueError:
            logging.getLogger("twine").exception("upload failed")
    finally:
        logging.setLogRecordFactory(old_factory)
        root.handlers[:] = old_handlers
        root.setLevel(old_level)
        root.filters.clear()
    err = capsys.readouterr().err
    assert "debug: urllib3.connectionpool: sending Bearer ***" in err
    assert "ValueError: token *** rejected" in err
    assert "log-secret-value-123" not in err


REPO = Repository(
    "feed", "https://pkgs.dev.azure.example/org/_packaging/feed/pypi/upload/", "https://x/simple/"
)


def test_azure_pypirc_path_is_read_unless_shipyard_pypirc_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.delenv("SHIPYARD_PYPIRC", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    azure = tmp_path / "azure.pypirc"  # what TwineAuthenticate@1 writes
    azure.write_text(
        "[distutils]\nIndex-servers=feed\n\n[feed]\n"
        f"Repository={REPO.upload_url}\nusername=build\npassword=azure-token-value\n"
    )
    cred = resolve(REPO, tmp_path, {"PYPIRC_PATH": str(azure)})
    assert isinstance(cred, Credential) and (cred.username, cred.password.reveal()) == (
        "build",
        "azure-token-value",
    )
    assert cred.source == f"{azure} [feed]"
    other = tmp_path / "other.pypirc"
    other.write_text(f"[feed]\nrepository={REPO.upload_url}\nusername=me\npassword=chosen-value\n")
    cred = resolve(REPO, tmp_path, {"PYPIRC_PATH": str(azure), "SHIPYARD_PYPIRC": str(other)})
    assert isinstance(cred, Credential) and cred.password.reveal() == "chosen-value"


@pytest.mark.integration
def test_verify_installs_from_a_read_protected_index_with_the_index_credential(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    (tmp_path / "server").mkdir()
    with start_pypiserver(tmp_path / "server", authenticate="download,list,update") as index:
        assert http_session().get(f"{index.simple_url}", timeout=10).status_code == 401
        tool = '[tool.shipyard]\nstages = ["private"]\n\n' + repositories_toml(private=index)
        root = make_project(tmp_path / "proj", tool=tool)
        env = {"SHIPYARD_PRIVATE_USERNAME": index.username, "SHIPYARD_PRIVATE_PASSWORD": index.password}
        tmp = tmp_path / "tmp"
        tmp.mkdir()
        run = shipyard("release", "-C", str(root), "--no-test-install", env={**env, "TMPDIR": str(tmp)})
        assert run.code == 0, run.text
        assert "released tiny-pkg 1.0.0 to private" in run.out
        assert index.password not in run.text
        assert not list(tmp.glob("shipyard-private-*")), "the netrc folder outlived the install"
