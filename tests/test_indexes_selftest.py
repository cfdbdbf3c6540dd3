"""Self-test: the index fixtures in tests/indexes.py start real, working servers."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex, client_env, http_session

pytestmark = pytest.mark.integration


def make_wheel(dest: Path, name: str = "demo_pkg", version: str = "0.1", body: bytes = b"X = 1\n") -> Path:
    """Write a minimal valid pure-Python wheel; same arguments, same bytes."""
    dist_info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    wheel_info = "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files = {
        f"{name}.py": body,
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": wheel_info.encode(),
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    files[f"{dist_info}/RECORD"] = f"{record}{dist_info}/RECORD,,\n".encode()
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            # Fixed timestamp so rebuilding gives an identical file (and hash).
            zf.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return wheel


def twine_upload(index: TestIndex, wheel: Path, password: str | None = None) -> int:
    cmd = [
        sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", index.upload_url,
        "-u", index.username, "-p", password or index.password,
        str(wheel),
    ]  # fmt: skip
    return subprocess.run(cmd, env=client_env(), capture_output=True, check=False).returncode


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["fresh_pypiserver", "fresh_devpi_index"])
def index(request: pytest.FixtureRequest) -> TestIndex:
    fresh: TestIndex = request.getfixturevalue(request.param)
    return fresh


def test_upload_auth_and_reupload(index: TestIndex, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)

    assert twine_upload(index, wheel, password="wrong") != 0  # pypiserver 403, devpi 401
    assert index.served_files("demo-pkg") == {}

    assert twine_upload(index, wheel) == 0
    assert index.served_files("Demo_Pkg") == {wheel.name: sha256(wheel)}

    # pip, isolated from the machine's extra sources, gets exactly those bytes.
    subprocess.run(
        [sys.executable, "-m", "pip", "--isolated", "download", "--no-deps", "--no-cache-dir",
         "--index-url", index.simple_url, "-d", str(tmp_path / "dl"), "demo-pkg==0.1"],
        env=client_env(), check=True, capture_output=True,
    )  # fmt: skip
    assert sha256(tmp_path / "dl" / wheel.name) == sha256(wheel)

    # Identical re-upload: pypiserver answers 400 "already exists" (twine
    # fails); devpi answers 200 "Upload of identical file to non volatile
    # index" (twine succeeds). A different file under the same name gets
    # 400 / 409 respectively.
    assert twine_upload(index, wheel) == (1 if index.name == "pypiserver" else 0)
    (tmp_path / "other").mkdir()
    assert twine_upload(index, make_wheel(tmp_path / "other", body=b"X = 2\n")) == 1
    assert index.served_files("demo-pkg") == {wheel.name: sha256(wheel)}


def test_replace_file_changes_served_hash(index: TestIndex, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    assert twine_upload(index, wheel) == 0
    (tmp_path / "other").mkdir()
    other = make_wheel(tmp_path / "other", body=b"X = 'tampered'\n")

    index.replace_file(wheel.name, other.read_bytes())

    assert index.served_files("demo-pkg") == {wheel.name: sha256(other)}


def test_session_indexes_read_anonymously(pypiserver_index: TestIndex, devpi_index: TestIndex) -> None:
    for index in (pypiserver_index, devpi_index):
        assert http_session().get(index.simple_url, timeout=10).status_code == 200
        assert index.served_files("no-such-project") == {}
