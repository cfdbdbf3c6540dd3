"""An index server over HTTP (requests): reading project pages, uploading, downloading files.

Failures that may pass (connection errors, timeouts, 5xx, 429) raise `TransientError`; reads and
downloads are retried here, uploads by `publish`, which must read the index between two attempts.
The credential goes only to the origin (scheme, host, port) of the upload URL, and a file named by
a listing is fetched only over http(s): an index cannot make shipyard read this machine's files.

Everything an index sends is bounded: a page by page-limit, a file by the size our build or the
listing gives (else download-limit), and time by a wall-clock deadline (tools.deadline): a read
ends within retry-timeout of its first attempt, an upload within upload-timeout, and verify's
downloads within its --timeout.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import requests
from packaging.utils import canonicalize_name
from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

from shipyard import events
from shipyard.config import Repository
from shipyard.dists import Dist, hash_stream
from shipyard.errors import AuthError, CredentialError, IndexError_, VerifyError
from shipyard.index import form, refusal, transport
from shipyard.index.base import DEFAULT_PORTS, Credential, Minter, Progress, env_prefix, origin
from shipyard.index.listing import ACCEPT, IndexFile, Listing, NotAnIndex, parse
from shipyard.index.transport import CONNECT_TIMEOUT, read_timeout, session
from shipyard.tools import deadline, network
from shipyard.tools.network import Network, TransientError

FLOOR = 10.0  # seconds a read may take at least, whatever retry-timeout says (0: no retries)
# what may pass on the next attempt (a bad URL or a redirect loop will not)
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_CHUNK = 1 << 20
PROVENANCE_TYPE = "application/vnd.pypi.integrity.v1+json"
PROVENANCE_MAX = 1 << 20  # a provenance object is a few kB: more is an index feeding us junk
Attached = Sequence[Mapping[str, object]]  # an upload's PEP 740 attestations
INSTALLER_INDEX = "shipyard"  # the name uv knows the index by, for its credential variables


class RemoteIndex:
    """An index server: the simple API to read, the legacy upload API to publish."""

    def __init__(self, repository: Repository, credential: Credential | Minter | None, net: Network) -> None:
        self.repository = repository
        self.given = credential  # a Minter mints its token at the first upload (trusted publishing)
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

    @property
    def credential(self) -> Credential | None:
        """What it sends: the given credential, or the token minted for this stage (if one was)."""
        given = self.given
        return given if isinstance(given, Credential) or given is None else given.held()

    @property
    def trusted(self) -> str:
        return self.given.trusted if self.given is not None else ""

    def burn(self, *, again: bool = False) -> None:
        if self.given is not None and not isinstance(self.given, Credential):
            self.given.burn(again=again)

    def _auth(self, url: str, cred: Credential | None = None) -> requests.auth.HTTPBasicAuth | None:
        """The Basic login for `url` (None off our origin), UTF-8 encoded as RFC 7617 says and
        PyPI, devpi and pypiserver decode it: requests alone would send latin-1, and fail on `€`."""
        cred = cred or self.credential
        if cred is None or self.origin is None or origin(url) != self.origin:
            return None
        user, password = cred.username.encode(), cred.password.reveal().encode()
        return requests.auth.HTTPBasicAuth(user, password)

    def read(self, project: str, emit: events.Emit = events.ignore) -> Listing:
        budget = self.network.retry_timeout
        with deadline.within(max(budget, FLOOR), f"--retry-timeout {budget:g} s, at least {FLOOR:g} s"):
            return network.call(
                lambda: self._read_once(project), self.network, f"reading {self.repository.name}", emit
            )

    def _read_once(self, project: str) -> Listing:
        url = f"{self.repository.simple_url}{canonicalize_name(project)}/"
        with deadline.guarded(f"reading {url}"):
            return self._read_page(project, url)

    def _read_page(self, project: str, url: str) -> Listing:
        repo = self.repository
        try:
            with self.http.get(
                url,
                headers={"Accept": ACCEPT},
                auth=self._auth(url),
                timeout=read_timeout(self.http),
                stream=True,
            ) as resp:
                ok, gone = resp.status_code == 200, resp.status_code == 404
                listing = self._listing(resp, url) if ok else Listing()
                says, detail = ("", "") if ok or gone else refusal.said(resp)  # a refusal's reason
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
        return listing

    def _listing(self, resp: requests.Response, url: str) -> Listing:
        """The page parsed as it arrives (HTML piece by piece), at most page-limit bytes of it."""
        try:
            return parse(
                _text(self._page_of(resp, url), resp.encoding), resp.headers.get("Content-Type", ""), resp.url
            )
        except NotAnIndex as exc:
            raise IndexError_(
                f"{url} is not a package index page: {exc}: check the simple-url of {self.repository.name}"
            ) from None

    def _page_of(self, resp: requests.Response, url: str) -> Iterator[bytes]:
        """The page's bytes, at most page-limit of them: a project page is small, a page without
        end is an attack (memory) or a wrong simple-url."""
        limit = self.network.page_limit
        over = IndexError_(
            f"{url} sends a page over page-limit ({limit:,} bytes): no project page is that large; "
            f"check the simple-url of {self.repository.name}, or raise page-limit"
        )
        return _capped(resp, limit, over)

    takes_attestations = True

    def upload(
        self, dist: Dist, progress: Progress, attestations: Sequence[Mapping[str, object]] = ()
    ) -> bool:
        """POST `dist` (and its PEP 740 attestations) to the legacy upload API, streamed, once,
        within the connect timeout and upload-timeout (sending the file and waiting for the answer
        together): silence alone is a read timeout, retried by publish; a server that trickles is
        cut off at the deadline. A trusted-publishing token is minted before the first upload, and
        once more (the upload then sent again) when the index refuses it after it ran out."""
        given = self.given
        if given is None or isinstance(given, Credential):
            return self._upload_within(dist, progress, attestations, given)
        cred = given.get()
        try:
            return self._upload_within(dist, progress, attestations, cred)
        except AuthError as refused:
            fresh = given.renew(cred, refused)
            if fresh is None:
                raise
        return self._upload_within(dist, progress, attestations, fresh)

    def _upload_within(
        self, dist: Dist, progress: Progress, attestations: Attached, cred: Credential | None
    ) -> bool:
        seconds = self.network.upload_timeout
        with (
            deadline.within(
                CONNECT_TIMEOUT + seconds, f"--upload-timeout {seconds:g} s + {CONNECT_TIMEOUT:g} s"
            ),
            deadline.guarded(f"uploading {dist.filename} to {self.repository.name}"),
        ):
            return self._upload_once(dist, progress, attestations, cred)

    def _upload_once(
        self, dist: Dist, progress: Progress, attestations: Attached, cred: Credential | None
    ) -> bool:
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
                    auth=self._auth(repo.upload_url, cred),
                    allow_redirects=False,
                    timeout=(CONNECT_TIMEOUT, self.network.upload_timeout),
                    stream=True,  # the answer's body is read bounded (refusal), or not at all
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
        with resp:
            refusal.raise_for_upload(resp, self.repository, cred, dist)
            transport.drained(resp)  # its connection serves the next upload
        return True

    def download(
        self,
        file: IndexFile,
        dest: Path | None = None,
        emit: events.Emit = events.ignore,
        *,
        size: int | None = None,
    ) -> str:
        """Transient faults are retried from the start. At most `size` bytes (our build's), else
        the listing's size, else download-limit, are taken: a server sending more is cut off."""
        scheme = urlsplit(file.url).scheme.lower()
        if scheme not in DEFAULT_PORTS:
            where = f"a {scheme}: URL" if scheme else "a URL with no scheme"
            raise VerifyError(
                f"{self.repository.name} lists {file.filename} at {where}: "
                "files on an index server are fetched over http(s) only"
            )
        cap = self.network.download_limit
        if size is not None:
            most, why = size, "of our build"
        elif file.size is not None and file.size <= cap:
            most, why = file.size, "the listing gives"
        else:
            most, why = cap, "of download-limit"
        return network.call(
            lambda: hash_stream(self._chunks(file, most, why), dest),
            self.network,
            f"downloading {file.filename}",
            emit,
        )

    def _chunks(self, file: IndexFile, most: int, why: str) -> Iterator[bytes]:
        name = self.repository.name
        failed = f"downloading {file.filename} from {name} failed"
        more = VerifyError(
            f"{name} sends more than the {most:,} bytes {why} for {file.filename}: cut off there "
            "(a file that is not ours, or a server without end)"
        )
        with deadline.guarded(f"downloading {file.filename} from {name}"):
            yield from self._bounded(file, most, more, failed)

    def _bounded(self, file: IndexFile, most: int, more: VerifyError, failed: str) -> Iterator[bytes]:
        name = self.repository.name
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
                yield from _capped(resp, most, more)
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
        tls |= transport.installer_proxy(url)  # the proxy shipyard uses for it, or none: no other reading
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


def _capped(resp: requests.Response, most: int, over: Exception) -> Iterator[bytes]:
    """The body's chunks, `over` raised once it declares or sends more than `most` bytes."""
    if _declared_length(resp) > most:
        raise over
    got = 0
    for chunk in resp.iter_content(_CHUNK):
        got += len(chunk)
        if got > most:
            raise over
        yield chunk


def _declared_length(resp: requests.Response) -> int:
    value = resp.headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else -1


def _text(chunks: Iterable[bytes], encoding: str | None) -> Iterator[str]:
    """The text of a body arriving in pieces (a character split between two pieces is kept whole)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding or "utf-8")(errors="replace")
    except LookupError:  # a charset Python does not know
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    for chunk in chunks:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


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
