"""Talking to index servers over HTTP (requests): reading project pages, uploading files.

Failures that may pass (connection errors, timeouts, 5xx, 429) raise `TransientError`; reads are
retried here, uploads by `publish`, which must read the index between two attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from shipyard import __version__, events
from shipyard.config import Repository
from shipyard.dists import Dist
from shipyard.errors import AuthError, IndexError_
from shipyard.index.credentials import Credential
from shipyard.index.listing import ACCEPT, Listing, NotAnIndex, parse
from shipyard.tools import network
from shipyard.tools.network import Network, TransientError

CONNECT_TIMEOUT = 10.0
# what may pass on the next attempt (a bad URL or a redirect loop will not)
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
Progress = Callable[[int, int], None]


class Http(requests.Session):
    """A session that knows the run's timeouts and retry budget."""

    def __init__(self, net: Network) -> None:
        super().__init__()
        self.network = net


def session(net: Network | None = None) -> Http:
    s = Http(net or Network())
    s.headers["User-Agent"] = f"shipyard/{__version__}"
    s.trust_env = False  # no .netrc credentials or proxies for other hosts sneaking in
    return s


def network_of(http: requests.Session) -> Network:
    return http.network if isinstance(http, Http) else Network()


def read_timeout(http: requests.Session) -> tuple[float, float]:
    """(connect, read) seconds for a GET."""
    return (CONNECT_TIMEOUT, network_of(http).read_timeout)


def auth_for(url: str, repo: Repository, cred: Credential | None) -> tuple[str, str] | None:
    """Send the credential only to the host it is for (the upload host)."""
    if cred is None or urlsplit(url).netloc != urlsplit(repo.upload_url).netloc:
        return None
    return (cred.username, cred.password.reveal())


def read_listing(
    http: requests.Session,
    repo: Repository,
    project: str,
    cred: Credential | None = None,
    emit: events.Emit = events.ignore,
) -> Listing:
    """What `repo` serves for `project`, transient faults retried; IndexError_ if it cannot be read
    or is not an index."""
    return network.call(
        lambda: _read_once(http, repo, project, cred), network_of(http), f"reading {repo.name}", emit
    )


def _read_once(http: requests.Session, repo: Repository, project: str, cred: Credential | None) -> Listing:
    from packaging.utils import canonicalize_name

    url = f"{repo.simple_url}{canonicalize_name(project)}/"
    try:
        resp = http.get(
            url, headers={"Accept": ACCEPT}, auth=auth_for(url, repo, cred), timeout=read_timeout(http)
        )
    except TRANSIENT as exc:
        raise TransientError(f"cannot read {url}: {_reason(exc)}") from None
    except requests.RequestException as exc:
        raise IndexError_(f"cannot read {url}: {_reason(exc)}") from None
    if resp.status_code in network.RETRY_STATUSES:
        raise TransientError(
            f"cannot read {url}: HTTP {resp.status_code} {resp.reason}",
            retry_after=network.retry_after(resp.headers.get("Retry-After")),
        )
    if resp.status_code == 404:
        return Listing()
    if resp.status_code in (401, 403):
        raise AuthError(
            f"{repo.name} refused to list {project} (HTTP {resp.status_code}): check its credential"
        )
    if resp.status_code != 200:
        raise IndexError_(f"cannot read {url}: HTTP {resp.status_code} {resp.reason}")
    try:
        return parse(resp.text, resp.headers.get("Content-Type", ""), resp.url)
    except NotAnIndex as exc:
        raise IndexError_(
            f"{url} is not a package index page: {exc}: check the simple-url of {repo.name}"
        ) from None


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        if isinstance(exc, requests.ConnectTimeout):
            return "timed out connecting"
        if "aborted" in str(exc) or "RemoteDisconnected" in str(exc) or "reset" in str(exc):
            return "the connection was dropped before the index replied"
        return "connection failed (is the index running and the URL right?)"
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the index"
    return type(exc).__name__


def upload(
    http: requests.Session, repo: Repository, dist: Dist, cred: Credential | None, progress: Progress
) -> None:
    """POST `dist` to the legacy upload API, streamed, once. Raises TransientError for what may pass,
    AuthError / IndexError_ for refusals."""
    from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor
    from twine.package import PackageFile
    from twine.repository import Repository as TwineRepository

    package = PackageFile.from_filename(str(dist.path), comment=None)
    fields = TwineRepository._convert_metadata_to_list_of_tuples(package.metadata_dictionary())
    fields += [(":action", "file_upload"), ("protocol_version", "1")]
    with dist.path.open("rb") as content:
        fields.append(("content", (dist.filename, content, "application/octet-stream")))
        encoder = MultipartEncoder(fields)
        monitor = MultipartEncoderMonitor(encoder, lambda m: progress(m.bytes_read, encoder.len))
        try:
            resp = http.post(
                repo.upload_url,
                data=monitor,
                headers={"Content-Type": monitor.content_type},
                auth=auth_for(repo.upload_url, repo, cred),
                allow_redirects=False,
                timeout=(CONNECT_TIMEOUT, network_of(http).upload_timeout),
            )
        except TRANSIENT as exc:
            raise TransientError(f"uploading {dist.filename} to {repo.name} failed: {_reason(exc)}") from None
        except requests.RequestException as exc:
            raise IndexError_(f"uploading {dist.filename} to {repo.name} failed: {_reason(exc)}") from None
    _raise_for_upload(resp, repo, dist, cred)


def _raise_for_upload(resp: requests.Response, repo: Repository, dist: Dist, cred: Credential | None) -> None:
    code = resp.status_code
    if 200 <= code < 300:
        return
    if 300 <= code < 400:
        target = resp.headers.get("Location", "elsewhere")
        raise IndexError_(
            f"{repo.name} redirects uploads (HTTP {code} to {target}): "
            "set its upload-url to the final address"
        )
    if code in (401, 403) and cred is None:
        raise AuthError(
            f"{repo.name} wants a credential for uploads (HTTP {code} {resp.reason}): remove auth = "
            f'"none" from its table and set {_env_prefix(repo)}TOKEN or its USERNAME/PASSWORD'
        )
    if code in (401, 403) and cred is not None:
        raise AuthError(
            f"{repo.name} rejected the credential for user {cred.username} from {cred.source} "
            f"(HTTP {code} {resp.reason}): fix or renew it there"
        )
    if code in (404, 405, 501):
        raise IndexError_(
            f"{repo.name} refused {dist.filename}: HTTP {code} {resp.reason}: is {repo.upload_url} "
            "the index's upload endpoint? Check its upload-url"
        )
    if code in network.RETRY_STATUSES:
        raise TransientError(
            f"uploading {dist.filename} to {repo.name} failed: HTTP {code} {resp.reason}",
            retry_after=network.retry_after(resp.headers.get("Retry-After")),
        )
    raise IndexError_(f"{repo.name} refused {dist.filename}: HTTP {code} {resp.reason}")


def _env_prefix(repo: Repository) -> str:
    from shipyard.index.credentials import env_prefix

    return env_prefix(repo.name)
