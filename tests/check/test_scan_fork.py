"""The secret scan shared with a forked child (check/contents.py): the same findings, in the same
order, as the threads alone; a child that dies leaves its share to the parent. Each case runs in a
fresh interpreter, whose one thread makes the fork safe (a pytest worker may run others)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

TOKEN = "ghp_" + "Z9" * 18  # shipyard: fake-token
SCRIPT = """
import json, sys
from pathlib import Path
from shipyard.check import contents
from shipyard.dists import identify
contents.FORK_MIN = 1  # the fork for these small files
if sys.argv[2] == "child dies":
    contents.json.dump = lambda *a, **k: (_ for _ in ()).throw(OSError("child dies"))
dists = [identify(Path(p)) for p in json.loads(sys.argv[1])]
print(json.dumps({"forked": contents._forkable(dists), "each": contents.each(dists),
                  "threads": contents._threads(dists, ())}))
"""


def _wheel(folder: Path, n: int, secret: bool) -> Path:
    path = folder / f"pkg{n}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"pkg{n}/__init__.py", f'KEY = "{TOKEN}"\n' if secret else "KEY = None\n")
        whl.writestr(f"pkg{n}-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: pkg{n}\nVersion: 1.0\n")
    return path


def _scan(paths: list[Path], how: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps([str(p) for p in paths]), how],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_a_forked_scan_finds_what_the_threads_find_in_the_same_order(tmp_path: Path) -> None:
    secrets = {1, 2, 4}  # in the parent's share (even places) and the child's (odd)
    paths = [_wheel(tmp_path, n, n in secrets) for n in range(5)]
    result = _scan(paths, "")
    assert result["forked"] is True
    found = result["each"]
    assert found == result["threads"]
    assert isinstance(found, list)
    assert [bool(f) for f in found] == [n in secrets for n in range(5)]
    assert "a GitHub token (ghp_Z9Z9...) at line 1" in found[1][0] and "pkg1" in found[1][0]


def test_a_child_that_dies_leaves_its_share_to_the_parent(tmp_path: Path) -> None:
    paths = [_wheel(tmp_path, n, n == 3) for n in range(4)]
    result = _scan(paths, "child dies")
    assert result["each"] == result["threads"]
    assert isinstance(result["each"], list) and [bool(f) for f in result["each"]] == [
        False,
        False,
        False,
        True,
    ]
