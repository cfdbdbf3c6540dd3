"""Faults between shipyard and real indexes (pypiserver, devpi) injected by tests.faultproxy.

Every fault ends released-and-verified, or with exit 1 and one line naming what to re-run, and the
re-run completes without uploading again what is there: the proxy counts the uploads that reached
the server (`forwarded["POST"]`), so "2" means each of the two files was stored exactly once.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.faultproxy import FaultProxy, behind, fault_proxy, tally, upstream_port
from tests.helpers.indexes import TestIndex
from tests.helpers.projects import ShipyardCLI, command_env, make_project, repositories_toml
from tests.helpers.releases import actions, creds, release_json, staging_project

pytestmark = pytest.mark.integration
FAST = ("--no-test-install", "--no-verify-install")


@pytest.fixture(params=["pypiserver", "devpi"])
def server(request: pytest.FixtureRequest) -> TestIndex:
    """A fresh, empty index on each kind of real server."""
    fixture = "fresh_pypiserver" if request.param == "pypiserver" else "fresh_devpi_index"
    index: TestIndex = request.getfixturevalue(fixture)
    return index


@pytest.fixture
def proxy(server: TestIndex) -> Iterator[FaultProxy]:
    with fault_proxy(upstream_port(server.upload_url)) as running:
        yield running


def built(root: Path) -> dict[str, str]:
    manifest = json.loads((root / "dist" / ".shipyard-build.json").read_text())
    files = manifest["files"] if isinstance(manifest, dict) else manifest
    return {f["filename"]: f["sha256"] for f in files}


def retries(run_text: str) -> int:
    return len(re.findall(r"; retry \d+/\d+ in ", run_text))


def test_reset_mid_upload_is_retried(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy
) -> None:
    proxy.faults.add("reset-upload", times=2, method="POST", after_bytes=300)
    root, env = staging_project(tmp_path, behind(server, proxy))
    doc = release_json(shipyard, root, env, *FAST)
    assert proxy.faults.injected["reset-upload"] == 2
    assert actions(doc) == {"staging": ["uploaded", "uploaded"]}
    assert proxy.faults.forwarded["POST"] == 2, "each file reached the server whole exactly once"
    assert server.served_files("tiny-pkg") == built(root)
    assert doc["warnings"] == []  # retries are progress (stdout), not warnings


def test_lost_reply_is_landed_not_uploaded_again(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy
) -> None:
    proxy.faults.add("drop-reply", times=2, method="POST")
    root, env = staging_project(tmp_path, behind(server, proxy))
    assert shipyard("build", str(root)).code == 0
    run = shipyard("publish", "--to", "staging", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert proxy.faults.injected["drop-reply"] == 2
    assert run.out.count("despite the error (uploading") == 2
    assert "the connection was dropped before the index replied" in run.out
    assert run.out.strip().splitlines()[-2] == "staging: 2 landed"
    assert proxy.faults.forwarded["POST"] == 2, "no file was sent twice"
    assert server.served_files("tiny-pkg") == built(root)


@pytest.mark.parametrize("status", [502, 503])
def test_5xx_burst_on_reads_and_uploads_is_retried(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy, status: int
) -> None:
    proxy.faults.add("status", times=2, method="GET", status=status)
    proxy.faults.add("status", times=2, method="POST", status=status)
    root, env = staging_project(tmp_path, behind(server, proxy))
    doc = release_json(shipyard, root, env, "--no-test-install")
    assert proxy.faults.injected["status"] == 4
    assert actions(doc) == {"staging": ["uploaded", "uploaded"]}
    assert proxy.faults.forwarded["POST"] == 2
    assert server.served_files("tiny-pkg") == built(root)


def test_429_with_retry_after_is_honoured(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    with fault_proxy(upstream_port(fresh_pypiserver.upload_url)) as proxy:
        proxy.faults.add("status", times=1, method="POST", status=429, retry_after="1")
        root, env = staging_project(tmp_path, behind(fresh_pypiserver, proxy))
        run = shipyard("release", *FAST, "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert "HTTP 429 Injected; retry 1/4 in 1.00 s" in run.out
    assert proxy.faults.forwarded["POST"] == 2


def test_stalls_past_the_timeouts_are_retried(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy
) -> None:
    # margins for a loaded 2-core machine: a real answer has 4 s of silence allowed (devpi under load
    # once took more than 0.5 s), a stall lasts 5x that, so only the injected stalls time out
    proxy.faults.add("stall", times=1, method="GET", seconds=20)
    proxy.faults.add("stall", times=1, method="POST", seconds=20)
    root, env = staging_project(tmp_path, behind(server, proxy))
    env.update(SHIPYARD_READ_TIMEOUT="4")
    run = shipyard("release", *FAST, "--upload-timeout", "4", "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert proxy.faults.injected["stall"] == 2
    assert "timed out waiting for the index; retry 1/4" in run.out
    assert proxy.faults.forwarded["POST"] == 2
    assert server.served_files("tiny-pkg") == built(root)


def test_slow_replies_are_read_to_the_end(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy
) -> None:
    # every answer trickles (pages and the downloads verify hashes); each gap is below the timeout
    proxy.faults.add("slow", times=20, method="GET", chunk=512, seconds=0.02)
    root, env = staging_project(tmp_path, behind(server, proxy))
    doc = release_json(shipyard, root, env, *FAST)
    assert proxy.faults.injected["slow"] >= 3  # the listing before, the listing after, two downloads
    assert doc["stages"][0]["verified"] is True  # type: ignore[index]


def test_refused_connections_are_retried_until_the_index_is_back(
    shipyard: ShipyardCLI, home: Path, tmp_path: Path, fresh_devpi_index: TestIndex
) -> None:
    with fault_proxy(upstream_port(fresh_devpi_index.upload_url)) as proxy:
        root, env = staging_project(tmp_path, behind(fresh_devpi_index, proxy))
        assert shipyard("build", str(root)).code == 0
        proxy.down()
        # the index comes back once shipyard has been refused, however long its start took on a
        # loaded machine (a fixed outage could end before the first attempt)
        full = {**command_env(home), "SHIPYARD_RETRY_DELAY": "0.05", "PYTHONUNBUFFERED": "1", **env}
        errors = tmp_path / "stderr"  # a file: a full pipe nobody reads could stall shipyard
        with (
            errors.open("w") as err,
            subprocess.Popen(
                [sys.executable, "-m", "shipyard", "publish", "--retries", "60", "-C", str(root)],
                env=full,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            ) as proc,
        ):
            assert proc.stdout is not None
            seen = []
            for line in proc.stdout:
                seen.append(line)
                if "connection failed" in line:
                    break
            proxy.up()
            rest, _ = proc.communicate(timeout=600)
    out = "".join(seen) + rest
    assert proc.returncode == 0, out + errors.read_text()
    refused = len(re.findall(r"connection failed \(is the index running and the URL right\?\); retry", out))
    tally("connection refused", refused)
    assert refused >= 1
    assert out.strip().splitlines()[-2] == "staging: 2 uploaded"
    assert proxy.faults.forwarded["POST"] == 2


def test_retries_run_out_exit_1_and_the_rerun_completes_the_half_release(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy
) -> None:
    # the first upload passes, then the index answers 503 for good: half a release
    burst = proxy.faults.add("status", times=1000, method="POST", status=503, skip=1)
    root, env = staging_project(tmp_path, behind(server, proxy))
    run = shipyard("release", *FAST, "--retries", "2", "-C", str(root), env=env)
    assert run.code == 1, run.text
    line = run.err.strip().splitlines()[-1]
    assert re.fullmatch(
        r"error: uploading tiny_pkg-1\.0\.0-py3-none-any\.whl to staging failed: HTTP 503 Injected "
        r"\(3 attempts in [\d.]+ s\); re-run shipyard release to resume at stage staging",
        line,
    ), line
    assert proxy.faults.injected["status"] == 3
    assert sorted(server.served_files("tiny-pkg")) == ["tiny_pkg-1.0.0.tar.gz"]
    burst.times = 0  # the index recovers
    doc = release_json(shipyard, root, env, *FAST)
    assert sorted(f["action"] for f in doc["stages"][0]["files"]) == ["skipped", "uploaded"]  # type: ignore[index]
    assert proxy.faults.forwarded["POST"] == 2, "the sdist was not uploaded again"
    assert server.served_files("tiny-pkg") == built(root)


@pytest.mark.parametrize("status", [400, 401, 403, 409])
def test_refusals_are_never_retried(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, status: int
) -> None:
    with fault_proxy(upstream_port(fresh_pypiserver.upload_url)) as proxy:
        proxy.faults.add("status", times=1, method="POST", status=status)
        root, env = staging_project(tmp_path, behind(fresh_pypiserver, proxy))
        run = shipyard("release", *FAST, "-C", str(root), env=env)
        assert run.code == 1, run.text
        assert "retry" not in run.text.replace("re-run", "")
        assert proxy.faults.injected["status"] == 1 and proxy.faults.forwarded["POST"] == 0
        assert f"HTTP {status}" in run.err.strip().splitlines()[-1]
        assert fresh_pypiserver.served_files("tiny-pkg") == {}
        again = release_json(shipyard, root, env, *FAST)
    assert actions(again) == {"staging": ["uploaded", "uploaded"]}


def test_real_auth_refusal_is_sent_once(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex
) -> None:
    with fault_proxy(upstream_port(fresh_pypiserver.upload_url)) as proxy:
        root, env = staging_project(tmp_path, behind(fresh_pypiserver, proxy))
        env["SHIPYARD_STAGING_PASSWORD"] = "wrong-password"
        run = shipyard("release", *FAST, "-C", str(root), env=env)
    assert run.code == 1, run.text
    assert (
        "staging rejected the credential for user shipyard from SHIPYARD_STAGING_USERNAME/PASSWORD (HTTP 403"
        in run.err
    )
    assert proxy.faults.forwarded["POST"] == 1, "a refused credential is not tried again"


def test_production_down_exits_1_naming_the_stage_and_the_rerun_publishes_production_only(
    shipyard: ShipyardCLI, tmp_path: Path, fresh_pypiserver: TestIndex, fresh_devpi_index: TestIndex
) -> None:
    with (
        fault_proxy(upstream_port(fresh_pypiserver.upload_url)) as staging,
        fault_proxy(upstream_port(fresh_devpi_index.upload_url)) as production,
    ):
        stage_a, stage_b = behind(fresh_pypiserver, staging), behind(fresh_devpi_index, production)
        tool = '[tool.shipyard]\nstages = ["staging", "production"]\n\n' + repositories_toml(
            staging=stage_a, production=stage_b
        )
        root = make_project(tmp_path / "proj", tool=tool, with_tests=False)
        env = {**creds(staging=stage_a, production=stage_b), "SHIPYARD_RETRIES": "2"}
        production.down()
        run = shipyard("release", "-C", str(root), env=env)
        tally("connection refused", 3)  # the three attempts to read production
        assert run.code == 1, run.text
        line = run.err.strip().splitlines()[-1]
        assert line.startswith(f"error: cannot read {stage_b.simple_url}tiny-pkg/: connection failed")
        assert line.endswith(
            "; staging is released and verified, re-run shipyard release to resume at stage production"
        )
        assert staging.faults.forwarded["POST"] == 2
        production.up()
        doc = release_json(shipyard, root, env)
    assert actions(doc) == {"staging": ["skipped", "skipped"], "production": ["uploaded", "uploaded"]}
    assert [s["resumed"] for s in doc["stages"]] == [True, False]  # type: ignore[attr-defined]
    assert staging.faults.forwarded["POST"] == 2, "staging was not uploaded to again"
    assert production.faults.forwarded["POST"] == 2
    assert fresh_devpi_index.served_files("tiny-pkg") == built(root)


def test_stale_pages_after_the_upload_make_verify_poll(
    shipyard: ShipyardCLI, tmp_path: Path, server: TestIndex, proxy: FaultProxy
) -> None:
    # the project page as it was before the upload is served three more times
    proxy.faults.add("stale", times=3, method="GET", path="/")
    root, env = staging_project(tmp_path, behind(server, proxy))
    run = shipyard("release", *FAST, "-C", str(root), env=env)
    assert run.code == 0, run.text
    assert proxy.faults.injected["stale"] == 3
    assert run.out.count("staging does not serve tiny_pkg-1.0.0") == 3
    assert "retrying in" in run.out
    assert server.served_files("tiny-pkg") == built(root)
