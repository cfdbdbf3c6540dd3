"""The embedded default index: a folder holding a static PEP 503 + PEP 691 simple index.

pip and uv install from it with `--index-url file://<folder>/simple`: no server, no account.
Files are added under a lock and written atomically; a filename is never replaced.
"""

from __future__ import annotations

import bisect
import contextlib
import html
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

from packaging.utils import canonicalize_name

from shipyard import events
from shipyard.config import Repository
from shipyard.dists import Dist, hash_stream
from shipyard.errors import ConflictError, VerifyError
from shipyard.index.base import Progress, conflict_message
from shipyard.index.listing import IndexFile, Listing, json_page, parse_json
from shipyard.tools import atomic, workdirs
from shipyard.tools.lock import file_lock
from shipyard.tools.network import Network

_CHUNK = 1 << 20


class LocalIndex:
    """The folder `root` (the repository's local-path), read and written in place."""

    def __init__(self, repository: Repository, root: Path, net: Network) -> None:
        self.repository = repository
        self.root = root
        self.network = net

    def read(self, project: str, emit: events.Emit = events.ignore) -> Listing:
        return _read(self.root, project)

    credential = None
    trusted = ""
    takes_attestations = False  # a folder of files: no provenance to serve them with

    def upload(
        self, dist: Dist, progress: Progress, attestations: Sequence[Mapping[str, object]] = ()
    ) -> bool:
        return _add(self.root, dist)

    def provenance(self, file: IndexFile) -> bytes | None:
        return None

    def burn(self, *, again: bool = False) -> None:
        """Nothing minted, nothing to burn."""

    def download(
        self,
        file: IndexFile,
        dest: Path | None = None,
        emit: events.Emit = events.ignore,
        *,
        size: int | None = None,
    ) -> str:
        """Read from the folder itself: a URL that points elsewhere is refused (no size bound: the
        folder is this machine's own)."""
        parts = urlsplit(file.url)
        path = Path(url2pathname(parts.path))
        if parts.scheme != "file" or not path.resolve().is_relative_to(self.root.resolve()):
            raise VerifyError(f"the local index lists {file.filename} outside its folder {self.root}")
        with path.open("rb") as handle:
            return hash_stream(iter(lambda: handle.read(_CHUNK), b""), dest)

    @contextlib.contextmanager
    def installer_env(self) -> Iterator[dict[str, str]]:
        yield {"UV_INDEX_URL": self.repository.simple_url}


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    workdirs.ensure(root)
    with file_lock(root / ".lock"):
        yield


def _project_dir(root: Path, project: str) -> Path:
    return root / "simple" / canonicalize_name(project)


def _read(root: Path, project: str) -> Listing:
    page = _project_dir(root, project) / "index.json"
    try:
        text = page.read_text()
    except FileNotFoundError:
        return Listing()
    return parse_json(text, page.parent.as_uri() + "/")


def _add(root: Path, dist: Dist) -> bool:
    """Publish `dist`; False if the identical file is already there. ConflictError if another is."""
    with _locked(root):
        folder = _project_dir(root, dist.name)
        existing = _read(root, dist.name).get(dist.filename)
        if existing is not None:
            if existing.sha256 == dist.sha256:
                return False
            raise ConflictError(
                conflict_message(dist.filename, existing.sha256, dist.sha256, "the local index")
            )
        folder.mkdir(parents=True, exist_ok=True)
        atomic.copy(dist.path, folder / dist.filename)
        if not (folder / "index.json").exists():  # a new project: the one time the root pages change
            _list_project(root, folder.name)
        _write_project_pages(root, folder, dist)
    return True


def _write_project_pages(root: Path, folder: Path, added: Dist) -> None:
    previous = json.loads((folder / "index.json").read_text()) if (folder / "index.json").exists() else {}
    files = [f for f in previous.get("files", []) if f["filename"] != added.filename]
    entry: dict[str, object] = {
        "filename": added.filename,
        "url": quote(added.filename),
        "hashes": {"sha256": added.sha256},
        "size": added.size,
        "yanked": False,
    }
    if requires := added.raw_metadata.get("requires_python"):
        entry["requires-python"] = requires
    files = sorted([*files, entry], key=lambda f: str(f["filename"]))
    atomic.write_text(folder / "index.json", json_page(folder.name, files))
    links = []
    for f in files:
        attrs = (
            f' data-requires-python="{html.escape(str(f["requires-python"]))}"'
            if "requires-python" in f
            else ""
        )
        href = f"{f['url']}#sha256={f['hashes']['sha256']}"
        links.append(f'<a href="{html.escape(href)}"{attrs}>{html.escape(str(f["filename"]))}</a><br/>')
    atomic.write_text(folder / "index.html", _html(f"Links for {folder.name}", links))


def _list_project(root: Path, name: str) -> None:
    """Add `name` to the root pages, from the project list they already hold: an upload costs the
    same with a thousand projects as with one (no folder scan, no write when it is listed). Written
    before the project's own pages, so a run cut in between leaves the project listed and its next
    upload completes it; an index whose root page is missing or unreadable is scanned once."""
    simple = root / "simple"
    names = _listed(simple)
    if name in names:
        return
    bisect.insort(names, name)
    _write_root_pages(simple, names)


def _listed(simple: Path) -> list[str]:
    try:
        page = json.loads((simple / "index.json").read_text())
        names = [str(p["name"]) for p in page["projects"]]
    except (OSError, ValueError, KeyError, TypeError):
        return sorted(p.name for p in simple.iterdir() if (p / "index.json").exists())
    return sorted(names)


def _write_root_pages(simple: Path, names: list[str]) -> None:
    atomic.write_text(
        simple / "index.html", _html("Simple index", [f'<a href="{n}/">{n}</a><br/>' for n in names])
    )
    page = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
    atomic.write_text(simple / "index.json", json.dumps(page) + "\n")  # C encoder: no indent


def _html(title: str, lines: list[str]) -> str:
    body = "\n".join(lines)
    return (
        '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
