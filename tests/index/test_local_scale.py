"""The local file index at many projects (issue 25, point 3): an upload rewrites the root pages only
when its project is new (no folder scan, so its cost stays flat as the index grows), the root pages
list every project after every upload, an index cut between its pages is completed by the next
upload, and two runs adding projects at once lose none.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from shipyard.config import Repository
from shipyard.dists import identify
from shipyard.index.local import LocalIndex
from shipyard.tools.network import Network

UPLOAD = """
import sys
from pathlib import Path
from shipyard.config import Repository
from shipyard.dists import identify
from shipyard.index.local import LocalIndex
from shipyard.tools.network import Network
root = Path(sys.argv[1])
index = LocalIndex(Repository("local", root.as_uri(), (root / "simple").as_uri(), local_path=root), root, Network())
for path in sys.argv[2:]:
    index.upload(identify(Path(path)), lambda sent, total: None)
"""


def wheel(folder: Path, name: str, version: str = "1.0.0") -> Path:
    """A small real wheel (METADATA and one module)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: >=3.9\n"
        zf.writestr(f"{name}-{version}.dist-info/METADATA", meta)
        zf.writestr(f"{name}.py", f"VERSION = {version!r}\n")
    return path


def open_index(root: Path) -> LocalIndex:
    repository = Repository("local", root.as_uri(), (root / "simple").as_uri(), local_path=root)
    return LocalIndex(repository, root, Network())


def upload(index: LocalIndex, path: Path) -> bool:
    return index.upload(identify(path), lambda sent, total: None)


def listed(root: Path) -> list[str]:
    """The projects the root pages list; the PEP 691 and the PEP 503 page must agree."""
    page = json.loads((root / "simple" / "index.json").read_text())
    assert page["meta"] == {"api-version": "1.1"}
    names = [p["name"] for p in page["projects"]]
    hrefs = re.findall(r'<a href="([^"]+)/">\1</a>', (root / "simple" / "index.html").read_text())
    assert hrefs == names
    return names


def test_root_pages_list_every_project_after_every_upload(tmp_path: Path) -> None:
    root, index = tmp_path / "index", open_index(tmp_path / "index")
    names = [f"pkg_{n:02d}" for n in range(25, 0, -1)]  # uploaded in reverse: the pages stay sorted
    for count, name in enumerate(names, start=1):
        assert upload(index, wheel(tmp_path / "dists", name))
        assert listed(root) == sorted(n.replace("_", "-") for n in names[:count])
        assert index.read(name).get(f"{name}-1.0.0-py3-none-any.whl") is not None
    assert not upload(index, wheel(tmp_path / "dists", "pkg_03"))  # the identical file: already there


def test_root_pages_untouched_by_another_file_of_a_listed_project(tmp_path: Path) -> None:
    root, index = tmp_path / "index", open_index(tmp_path / "index")
    upload(index, wheel(tmp_path / "dists", "alpha"))
    upload(index, wheel(tmp_path / "dists", "beta"))
    before = {p: (p.stat().st_ino, p.read_text()) for p in (root / "simple").glob("index.*")}
    assert upload(index, wheel(tmp_path / "dists", "alpha", "1.1.0"))
    assert {p: (p.stat().st_ino, p.read_text()) for p in (root / "simple").glob("index.*")} == before
    files = sorted(index.read("alpha").files)
    assert files == ["alpha-1.0.0-py3-none-any.whl", "alpha-1.1.0-py3-none-any.whl"]


def test_an_index_cut_short_is_completed_by_the_next_upload(tmp_path: Path) -> None:
    root, index = tmp_path / "index", open_index(tmp_path / "index")
    for name in ("alpha", "beta"):
        upload(index, wheel(tmp_path / "dists", name))
    (root / "simple" / "index.json").unlink()  # a run cut before its root pages, or an older index
    (root / "simple" / "index.html").unlink()
    upload(index, wheel(tmp_path / "dists", "gamma"))
    assert listed(root) == ["alpha", "beta", "gamma"]
    # a file copied in, its project never listed: its next upload lists it
    (root / "simple" / "delta").mkdir()
    (root / "simple" / "index.json").write_text('{"meta": {"api-version": "1.1"}, "projects": "cut')
    upload(index, wheel(tmp_path / "dists", "delta"))
    assert listed(root) == ["alpha", "beta", "delta", "gamma"]


def test_two_runs_adding_projects_at_once_lose_none(tmp_path: Path) -> None:
    root = tmp_path / "index"
    batches = [[wheel(tmp_path / "dists", f"p{side}_{n:02d}") for n in range(15)] for side in "ab"]
    runs = [
        subprocess.Popen([sys.executable, "-c", UPLOAD, str(root), *map(str, batch)], stderr=subprocess.PIPE)
        for batch in batches
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    expected = sorted(f"p{side}-{n:02d}" for side in "ab" for n in range(15))
    assert listed(root) == expected
    assert all(open_index(root).read(name).files for name in expected)
