"""The `NAME-app` launcher of an installed packaging-repository package, run for real: Streamlit
serves the app on 127.0.0.1 only, headless, without usage statistics."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests

from tests.helpers.indexes import client_env, http_session
from tests.helpers.packrepo import free_port, run_json
from tests.helpers.projects import ShipyardCLI, git

START_TIMEOUT = 90.0  # Streamlit imports pandas and pyarrow: slow on a busy 2-core machine


def listening(port: int) -> set[str]:
    """The local addresses with a socket listening on `port` (Linux: /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def venv_with_streamlit(where: Path) -> Path:
    """A fresh venv that sees the test environment's streamlit (a .pth file) but nothing of shipyard's
    source: installing streamlit and its 0.5 GB of dependencies again per test would cost minutes."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    py = where / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "test-env-streamlit.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return py


@pytest.mark.integration
def test_installed_app_launcher_serves_on_localhost(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = tmp_path / "apps-repo"
    run_json(shipyard, "init", "--packaging-repo", str(root))
    run_json(shipyard, "new", "dashboard", "--description", "A small dashboard.", "-C", str(root))
    (root / "apps" / "dashboard.py").write_text(
        "import streamlit as st\n\nfrom dashboard import hello\n\nst.title('Dashboard')\nst.write(hello())\n"
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "[dashboard] an app")
    doc = run_json(shipyard, "assemble", "dashboard", "--build", "-C", str(root))
    assert doc["scripts"] == {"dashboard-app": "dashboard._app:main"}
    assert doc["requirements"] == ["streamlit"]
    wheel = next(d["path"] for d in doc["dists"] if d["kind"] == "wheel")
    py = venv_with_streamlit(tmp_path / "venv")
    subprocess.run(
        [str(py), "-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--quiet", wheel],
        check=True,
        env=client_env(),
    )
    # the launcher's command line: headless, no statistics, 127.0.0.1 unless the user names an address
    show = "import json, sys; from dashboard._app import command; print(json.dumps(command(sys.argv[1:])))"
    for argv, address in (([], ["--server.address", "127.0.0.1"]), (["--server.address=0.0.0.0"], [])):
        line = json.loads(
            subprocess.run([str(py), "-c", show, *argv], capture_output=True, check=True).stdout
        )
        assert line[1:4] == ["-m", "streamlit", "run"]
        assert line[4:8] == ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
        assert line[8 : -1 - len(argv)] == address and line[-1 - len(argv)].endswith("dashboard/app.py")

    port = free_port()
    home = tmp_path / "app-home"  # Streamlit would write ~/.streamlit here, were it to prompt
    home.mkdir()
    env = {**client_env(), "HOME": str(home)}
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(tmp_path / "venv" / "bin" / "dashboard-app"), "--server.port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        http = http_session()
        deadline = time.monotonic() + START_TIMEOUT
        health = ""
        while health != "ok":
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no health answer in {START_TIMEOUT} s:\n{log.read_text()}"
            try:
                health = http.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text
            except requests.ConnectionError:
                time.sleep(0.25)
        page = http.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and '<div id="root">' in page.text
        # bound to the loopback address only: 0100007F is 127.0.0.1 as /proc/net/tcp writes it
        assert listening(port) == {"0100007F"}
    finally:
        proc.terminate()  # the launcher exec'd streamlit: this stops the server itself
        proc.wait(timeout=30)
    output = log.read_text()
    assert f"URL: http://127.0.0.1:{port}" in output, output
    assert "External URL" not in output and "Collecting usage statistics" not in output, output
    assert not (home / ".streamlit" / "credentials.toml").exists()  # no e-mail prompt was shown
