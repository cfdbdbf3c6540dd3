"""An index server over HTTP (requests): reading project pages, uploading, downloading files.

Failures that may pass (connection errors, timeouts, 5xx, 429) raise `TransientError`; reads and
downloads are retried here, uploads by `publish`, which must read the index between two attempts.
The credential goes only to the origin (scheme, host, port) of the upload URL, and a file named by
a listing is fetched only over http(s): an index cannot make shipyard read this machine's files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from packaging.utils import canonicalize_name
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from shipyard import __version__, events
from shipyard.config import Repository
from shipyard.dists import Dist, hash_stream
from shipyard.errors import AuthError, CredentialError, IndexError_, VerifyError
from shipyard.index import form, refusal, transport
from shipyard.index.base import DEFAULT_PORTS, Credential, Progress, env_prefix, origin
from shipyard.index.listing import ACCEPT, IndexFile, Listing, NotAnIndex, parse
from shipyard.tools import network
from shipyard.tools.network import Network, TransientError

CONNECT_TIMEOUT = 10.0
# what may pass on the next attempt (a bad URL or a redirect loop will not)
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_CHUNK = 1 << 20
PROVENANCE_TYPE = "application/vnd.pypi.integrity.v1+json"
PROVENANCE_MAX = 1 << 20  # a provenance object is a few kB: more is an index feeding us junk
INSTALLER_INDEX = "shipyard"  # the name uv knows the index by, for its credential variables


class Http(requests.Session):
    """A session that knows the run's timeouts and retry budget, and takes the proxies from the
    environment (HTTPS_PROXY, NO_PROXY...) itself: `trust_env` stays off."""

    def __init__(self, net: Network) -> None:
        super().__init__()
        self.network = net

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kw: Any) -> requests.Response:
        if kw.get("proxies") is None:
            kw["proxies"] = transport.proxies(url.decode() if isinstance(url, bytes) else url)
        return super().request(method, url, *args, **kw)


def session(net: Network | None = None) -> Http:
    s = Http(net or Network())
    s.headers["User-Agent"] = f"shipyard/{__version__}"
    s.trust_env = False  # no .netrc credentials sneaking in; CA bundle and proxies: index.transport
    return s


def network_of(http: requests.Session) -> Network:
    return http.network if isinstance(http, Http) else Network()


def read_timeout(http: requests.Session) -> tuple[float, float]:
    """(connect, read) seconds for a GET."""
    return (CONNECT_TIMEOUT, network_of(http).read_timeout)


class RemoteIndex:
    """An index server: the simple API to read, the legacy upload API to publish."""

    def __init__(self, repository: Repository, credential: Credential | None, net: Network) -> None:
        self.repository = repository
        self.credential = credential
        self.network = net
        self.tls = transport.transport(repository, net)
        self.http = session(net)
        self.http.verify, self.http.cert = self.tls.verify, self.tls.cert  # trust_env off: not overridden
        if self.tls.system:
            self.http.mount("https://", transport.SystemStore())
        self.origin = origin(repository.upload_url)  # the one place the credential may go
        if credential is not None and origin(credential.url) != self.origin:
            raise CredentialError(
                f"the credential from {credential.source} is for {credential.url}, not for "
                f"{repository.name} ({repository.upload_url}): it is not sent there; give "
                f"{repository.name} its own ({env_prefix(repository.name)}TOKEN)"
            )
        if credential is not None:
            transport.no_clear_text_proxy(repository)

    def _auth(self, url: str) -> tuple[str, str] | None:
        cred = self.credential
        if cred is None or self.origin is None or origin(url) != self.origin:
            return None
        return (cred.username, cred.password.reveal())

    def read(self, project: str, emit: events.Emit = events.ignore) -> Listing:
        return network.call(
            lambda: self._read_once(project), self.network, f"reading {self.repository.name}", emit
        )

    def _read_once(self, project: str) -> Listing:
        repo = self.repository
        url = f"{repo.simple_url}{canonicalize_name(project)}/"
        try:
            resp = self.http.get(
                url, headers={"Accept": ACCEPT}, auth=self._auth(url), timeout=read_timeout(self.http)
            )
        except requests.exceptions.SSLError as exc:
            raise transport.tls_failure(exc, url, self.tls) from None
        except TRANSIENT as exc:
            raise TransientError(f"cannot read {url}: {_reason(exc)}") from None
        except requests.RequestException as exc:
            raise IndexError_(f"cannot read {url}: {_reason(exc)}") from None
        if resp.status_code == 404:
            return Listing()
        if resp.status_code in network.RETRY_STATUSES:
            raise TransientError(
                f"cannot read {url}: HTTP {resp.status_code} {resp.reason}",
                retry_after=network.retry_after(resp.headers.get("Retry-After")),
            )
        says, detail = refusal.said(resp) if resp.status_code != 200 else ("", "")  # a refusal's reason
        if resp.status_code in (401, 403):
            raise AuthError(
                f"{repo.name} refused to list {project} (HTTP {resp.status_code}): "
                f"check its credential{says}",
                detail=detail,
            )
        if resp.status_code != 200:
            raise IndexError_(
                f"cannot read {url}: HTTP {resp.status_code} {resp.reason}{says}", detail=detail
            )
        try:
            return parse(resp.text, resp.headers.get("Content-Type", ""), resp.url)
        except NotAnIndex as exc:
            raise IndexError_(
                f"{url} is not a package index page: {exc}: check the simple-url of {repo.name}"
            ) from None

    takes_attestations = True

    def upload(
        self, dist: Dist, progress: Progress, attestations: Sequence[Mapping[str, object]] = ()
    ) -> bool:
        """POST `dist` (and its PEP 740 attestations) to the legacy upload API, streamed, once."""
        repo = self.repository
        fields: list[tuple[str, object]] = list(form.fields(dist, attestations))
        with dist.path.open("rb") as content:
            fields.append(("content", (dist.filename, content, "application/octet-stream")))
            encoder = MultipartEncoder(fields)
            monitor = MultipartEncoderMonitor(encoder, lambda m: progress(m.bytes_read, encoder.len))
            try:
                resp = self.http.post(
                    repo.upload_url,
                    data=monitor,
                    headers={"Content-Type": monitor.content_type},
                    auth=self._auth(repo.upload_url),
                    allow_redirects=False,
                    timeout=(CONNECT_TIMEOUT, self.network.upload_timeout),
                )
            except requests.exceptions.SSLError as exc:
                raise transport.tls_failure(exc, repo.upload_url, self.tls) from None
            except TRANSIENT as exc:
                raise TransientError(
                    f"uploading {dist.filename} to {repo.name} failed: {_reason(exc)}"
                ) from None
            except requests.RequestException as exc:
                raise IndexError_(
                    f"uploading {dist.filename} to {repo.name} failed: {_reason(exc)}"
                ) from None
        self._raise_for_upload(resp, dist)
        return True

    def _raise_for_upload(self, resp: requests.Response, dist: Dist) -> None:
        repo, cred, code = self.repository, self.credential, resp.status_code
        if 200 <= code < 300:
            return
        if 300 <= code < 400:
            target = resp.headers.get("Location", "elsewhere")
            raise IndexError_(
                f"{repo.name} redirects uploads (HTTP {code} to {target}): "
                "set its upload-url to the final address"
            )
        says, detail = refusal.said(resp)
        if code in (401, 403) and cred is None:
            raise AuthError(
                f"{repo.name} wants a credential for uploads (HTTP {code} {resp.reason}): remove auth = "
                f'"none" from its table and set {env_prefix(repo.name)}TOKEN or its USERNAME/PASSWORD{says}',
                detail=detail,
            )
        if code in (401, 403) and cred is not None:
            raise AuthError(
                f"{repo.name} rejected the credential for user {cred.username} from {cred.source} "
                f"(HTTP {code} {resp.reason}): fix or renew it there{says}",
                detail=detail,
            )
        if code in (404, 405, 501):
            raise IndexError_(
                f"{repo.name} refused {dist.filename}: HTTP {code} {resp.reason}: is {repo.upload_url} "
                f"the index's upload endpoint? Check its upload-url{says}",
                detail=detail,
            )
        if code in network.RETRY_STATUSES:
            raise TransientError(
                f"uploading {dist.filename} to {repo.name} failed: HTTP {code} {resp.reason}",
                retry_after=network.retry_after(resp.headers.get("Retry-After")),
            )
        failure = refusal.Refused if code in (400, 422) else IndexError_
        raise failure(f"{repo.name} refused {dist.filename}: HTTP {code} {resp.reason}{says}", detail=detail)

    def download(self, file: IndexFile, dest: Path | None = None, emit: events.Emit = events.ignore) -> str:
        """Transient faults are retried from the start."""
        scheme = urlsplit(file.url).scheme.lower()
        if scheme not in DEFAULT_PORTS:
            where = f"a {scheme}: URL" if scheme else "a URL with no scheme"
            raise VerifyError(
                f"{self.repository.name} lists {file.filename} at {where}: "
                "files on an index server are fetched over http(s) only"
            )
        return network.call(
            lambda: hash_stream(self._chunks(file), dest), self.network, f"downloading {file.filename}", emit
        )

    def _chunks(self, file: IndexFile) -> Iterator[bytes]:
        name = self.repository.name
        failed = f"downloading {file.filename} from {name} failed"
        try:
            with self.http.get(
                file.url, auth=self._auth(file.url), stream=True, timeout=read_timeout(self.http)
            ) as resp:
                if resp.status_code in network.RETRY_STATUSES:
                    after = network.retry_after(resp.headers.get("Retry-After"))
                    raise TransientError(f"{failed}: HTTP {resp.status_code}", retry_after=after)
                if resp.status_code != 200:
                    says, detail = refusal.said(resp)
                    raise VerifyError(
                        f"{name} does not deliver {file.filename}: HTTP {resp.status_code}{says}",
                        detail=detail,
                    )
                yield from resp.iter_content(_CHUNK)
        except requests.exceptions.SSLError as exc:
            raise transport.tls_failure(exc, file.url, self.tls) from None
        except TRANSIENT:
            raise TransientError(failed) from None
        except requests.RequestException:
            raise VerifyError(failed) from None

    def provenance(self, file: IndexFile) -> bytes | None:
        """PEP 740's provenance object at the URL the listing gives (over http(s) only, bounded);
        None where the index serves none. Transient faults are retried."""
        url = file.provenance
        if url is None:
            return None
        if urlsplit(url).scheme.lower() not in DEFAULT_PORTS:
            raise VerifyError(
                f"{self.repository.name} lists the provenance of {file.filename} outside http(s)"
            )
        return network.call(
            lambda: self._provenance_once(file, url),
            self.network,
            f"reading the provenance of {file.filename}",
        )

    def _provenance_once(self, file: IndexFile, url: str) -> bytes | None:
        failed = f"reading the provenance of {file.filename} from {self.repository.name} failed"
        try:
            with self.http.get(
                url, headers={"Accept": PROVENANCE_TYPE}, auth=self._auth(url), stream=True,
                timeout=read_timeout(self.http),
            ) as resp:  # fmt: skip
                if resp.status_code == 404:
                    return None
                if resp.status_code in network.RETRY_STATUSES:
                    raise TransientError(f"{failed}: HTTP {resp.status_code}")
                if resp.status_code != 200:
                    raise VerifyError(f"{failed}: HTTP {resp.status_code} {resp.reason}")
                body = resp.raw.read(PROVENANCE_MAX + 1, decode_content=True)
        except requests.exceptions.SSLError as exc:
            raise transport.tls_failure(exc, url, self.tls) from None
        except TRANSIENT:
            raise TransientError(failed) from None
        except requests.RequestException:
            raise VerifyError(failed) from None
        if len(body) > PROVENANCE_MAX:
            raise VerifyError(f"{failed}: it is over {PROVENANCE_MAX >> 20} MiB")
        return bytes(body)

    @contextlib.contextmanager
    def installer_env(self) -> Iterator[dict[str, str]]:
        """uv's index settings. A credential goes to uv as the credential of a named index
        (UV_INDEX_<NAME>_USERNAME/PASSWORD), which uv sends to that index's URL only: a netrc entry
        is matched by host alone, so a page linking its files to another port of the same host
        would get it too. Never on a command line, never in a URL the installer could print."""
        url = self.repository.simple_url
        tls = self.tls.installer_env()  # the CA and client certificate this index needs, for uv too
        cred = self.credential
        if cred is None or self._auth(url) is None:
            yield {"UV_INDEX_URL": url, **tls}
            return
        prefix = f"UV_INDEX_{INSTALLER_INDEX.upper()}_"
        yield {
            **tls,
            "UV_DEFAULT_INDEX": f"{INSTALLER_INDEX}={url}",
            prefix + "USERNAME": cred.username,
            prefix + "PASSWORD": cred.password.reveal(),
        }


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        if isinstance(exc, requests.exceptions.ProxyError):
            return (
                "the proxy failed to connect (check HTTPS_PROXY / HTTP_PROXY, or list the host in NO_PROXY)"
            )
        if isinstance(exc, requests.ConnectTimeout):
            return "timed out connecting"
        if "aborted" in str(exc) or "RemoteDisconnected" in str(exc) or "reset" in str(exc):
            return "the connection was dropped before the index replied"
        return "connection failed (is the index running and the URL right?)"
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the index"
    return type(exc).__name__
