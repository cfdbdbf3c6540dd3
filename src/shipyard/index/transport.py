"""How shipyard reaches an index server: the CAs it trusts, the client certificate it shows, the
proxy it goes through, and what a TLS failure means.

The session keeps `trust_env` off (it would also send ~/.netrc credentials to whatever host), so
what requests would read from the environment is read here, explicitly: the CA bundle
(REQUESTS_CA_BUNDLE, then SSL_CERT_FILE) and the proxies (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY,
NO_PROXY). An explicit cert (--cert, SHIPYARD_CERT, the cert key) wins over the environment; the
installer (uv) gets the same CA bundle and client certificate.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.utils import get_environ_proxies
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from shipyard import __version__
from shipyard.config import Repository
from shipyard.errors import ConfigError, IndexError_
from shipyard.secrets import register, register_login
from shipyard.shown import shown
from shipyard.tools import deadline
from shipyard.tools.network import Network

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")  # requests' own order, then uv's and OpenSSL's
_VERIFY_REASON = re.compile(r"certificate verify failed: (.+?)(?: \(_ssl\.c:\d+\))?['\")]")
_SSL_REASON = re.compile(r"\[SSL: [A-Z0-9_]+\] (.+?)(?: \(_ssl\.c:\d+\))?['\")]")
BLOCK = 256 * 1024  # bytes of a request body sent at once
CERT_HINT = "--cert PATH (or SHIPYARD_CERT, or the repository's cert key)"
CLIENT_CERT_HINT = "--client-cert PATH (or SHIPYARD_CLIENT_CERT, or the repository's client-cert key)"


class TlsError(IndexError_):
    """The TLS handshake failed: the next attempt, and an upload without reading first
    (--allow-unverified), would meet the same certificate."""


@dataclass(frozen=True)
class Transport:
    """TLS settings for one repository."""

    ca_bundle: Path | None  # None: requests' bundled roots (certifi)
    ca_source: str  # where the bundle was named, for messages
    client_cert: Path | None  # certificate and key in one PEM
    system: bool = False  # the operating system's store, through truststore

    @property
    def verify(self) -> str | bool:
        return str(self.ca_bundle) if self.ca_bundle is not None else True

    @property
    def cert(self) -> str | None:
        return str(self.client_cert) if self.client_cert is not None else None

    def installer_env(self) -> dict[str, str]:
        """uv's names for the explicit settings (it reads SSL_CERT_FILE and the proxy variables
        from the environment itself)."""
        env = {"UV_NATIVE_TLS": "1"} if self.system else {}
        if self.ca_bundle is not None and self.ca_source not in CA_VARIABLES:
            env["SSL_CERT_FILE"] = str(self.ca_bundle)
        if self.client_cert is not None:
            env["SSL_CLIENT_CERT"] = str(self.client_cert)
        return env


def _ca_bundle(
    repository: Repository, network: Network, environ: Mapping[str, str]
) -> tuple[Path | None, str]:
    """The CA bundle to trust (None: the system store, or certifi) and where it was named."""
    if network.cert is not None:
        return network.cert, "--cert"
    if repository.cert is not None:
        return repository.cert, f"the cert of {repository.name}"
    if network.system_certs:
        _truststore()  # there, or a configuration error now
        return None, "the system certificate store"
    for name in CA_VARIABLES:
        if environ.get(name):
            return Path(environ[name]), name
    return None, "the bundled public roots (certifi)"


def transport(repository: Repository, network: Network, environ: Mapping[str, str] = os.environ) -> Transport:
    """The CA bundle (--cert > the repository's cert > --system-certs > REQUESTS_CA_BUNDLE >
    SSL_CERT_FILE > certifi) and client certificate (--client-cert > the repository's client-cert)
    of `repository`, each checked now, so that a wrong file is a configuration error and not a
    failed upload."""
    ca, source = _ca_bundle(repository, network, environ)
    client = network.client_cert or repository.client_cert
    # a bare client context: the default verify paths (~20 ms) are not what is being checked
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca is not None and not (source in CA_VARIABLES and _plain_http(repository)):
        try:
            context.load_verify_locations(cafile=str(ca))
        except (OSError, ssl.SSLError):
            raise ConfigError(
                f"{source} names {ca}, which is not a readable PEM file of CA certificates"
            ) from None
    if client is not None:
        try:
            context.load_cert_chain(str(client))
        except (OSError, ssl.SSLError):
            raise ConfigError(
                f"client certificate {client} is not a readable PEM file holding a certificate and "
                "its unencrypted private key"
            ) from None
    return Transport(ca, source, client, system=source == "the system certificate store")


def _plain_http(repository: Repository) -> bool:
    """Whether every URL of `repository` is plain http: a CA bundle that a machine names for all its
    tools (REQUESTS_CA_BUNDLE) is not read for it, which saves 20 ms a run; one named for it is."""
    urls = (repository.upload_url, repository.simple_url, repository.oidc_url or "http:")
    return all(url.lower().startswith("http:") for url in urls)


def _truststore() -> ModuleType:
    """The optional truststore package (its SSLContext verifies with the OS's store)."""
    try:
        return importlib.import_module("truststore")
    except ImportError:
        raise ConfigError(
            "system-certs needs the truststore package: pip install 'shipyard[truststore]'"
        ) from None


class _WatchedHttp(HTTPConnection):
    """A connection whose socket the current deadline may shut down (tools.deadline): a new one
    when it connects, a kept-alive one when a request reuses it. A body is sent in blocks of
    BLOCK bytes, not urllib3's 16 KiB: each block is a read through the multipart encoder and a
    progress event, Python work that cost more than the socket on a 2 MB wheel (issue 25, point 1)."""

    def connect(self) -> None:
        super().connect()
        deadline.watch(self.sock)

    def request(self, *args: Any, **kw: Any) -> None:
        deadline.watch(self.sock)
        self.blocksize = BLOCK  # what urllib3 reads a body by, set in its __init__
        super().request(*args, **kw)


class _WatchedHttps(_WatchedHttp, HTTPSConnection):
    """The same over TLS: the watching methods come first, then HTTPSConnection's own."""


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedHttp


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHttps


_POOLS = {"http": _Pool, "https": _TlsPool}


class Watched(HTTPAdapter):
    """requests' adapter, with connections a deadline can cut (urllib3's documented ConnectionCls
    of its pools, the pool classes of its PoolManager and ProxyManager)."""

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kw: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **kw)
        if not proxy.lower().startswith("socks"):  # SOCKS managers bring their own pools
            manager.pool_classes_by_scheme = _POOLS
        return manager


class SystemStore(Watched):
    """An adapter that verifies with the operating system's store (requests' documented way to
    bring an SSLContext of one's own: set ssl_context in the pool key attributes)."""

    def __init__(self) -> None:
        self.context = _truststore().SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        super().__init__()

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: bool | str, cert: Any = None
    ) -> Any:  # requests' (host, pool) TypedDicts, private to its stubs
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if verify is True:
            pool["ssl_context"] = self.context
        return host, pool


def proxies(url: str) -> dict[str, str]:
    """The proxies for `url` from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, none if NO_PROXY covers it;
    a proxy's own password becomes a secret that no output shows."""
    found = dict(get_environ_proxies(url))
    for proxy in found.values():
        _secret_of(proxy)
    return found


def installer_proxy(url: str) -> dict[str, str]:
    """The one proxy variable an installer reading the index at `url` gets: the proxy shipyard's own
    rule (requests', as `proxies`) picks for it, as `HTTPS_PROXY` or `HTTP_PROXY`, or nothing when
    that rule goes direct. The installer gets no other proxy variable (procenv): uv reads them its
    own way (no `host:port` entries in NO_PROXY, NO_PROXY before no_proxy) and could otherwise send
    the index's credential through a proxy shipyard bypasses."""
    scheme = urlsplit(url).scheme.lower()
    found = proxies(url)
    proxy = found.get(scheme) or found.get("all")
    return {f"{scheme.upper()}_PROXY": proxy} if proxy else {}


@functools.cache
def _secret_of(proxy: str) -> None:
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.password:
        password = unquote(parts.password)
        register(password)
        register_login(unquote(parts.username or ""), password)


def clear_text_proxy(url: str) -> str | None:
    """The proxy ("host:port") that would read a request to `url` in clear text: a plain-http URL
    that a proxy variable covers (an https URL goes through a CONNECT tunnel, which the proxy cannot
    read); None if there is none."""
    scheme = urlsplit(url).scheme.lower()
    found = proxies(url)
    proxy = found.get(scheme) or found.get("all")
    if scheme != "http" or not proxy:
        return None
    where = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return f"{where.hostname}:{where.port or 80}"


def no_clear_text_proxy(repository: Repository, what: str = "", url: str = "") -> None:
    """ConfigError if `what` (the credential for the repository) would be read by a proxy on its
    way to `url` (the upload URL): refused before any request is made."""
    url = url or repository.upload_url
    proxy = clear_text_proxy(url)
    if proxy is None:
        return
    raise ConfigError(
        f"{what or 'the credential'} for {repository.name} would pass the proxy {proxy} in clear text "
        f"({url} is plain http): use the index's https URL, or add its host to NO_PROXY"
    )


def tls_failure(exc: requests.exceptions.SSLError, url: str, tls: Transport) -> TlsError:
    """A TLS failure, said to be one: it is never retried (the next attempt meets the same certificate)."""
    host = urlsplit(url).hostname or url
    text = str(exc)
    detail = f"{type(exc).__name__}: {text}"  # the handshake's own words, for -v and --debug
    found = _VERIFY_REASON.search(text)
    if found or "CERTIFICATE_VERIFY_FAILED" in text:
        reason = found.group(1) if found else "certificate verify failed"
        return TlsError(
            f"the TLS certificate of {host} is not trusted ({reason}; trusting {tls.ca_source}): "
            f"if it is signed by a private CA, pass that CA's bundle with {CERT_HINT}",
            detail=detail,
        )
    found = _SSL_REASON.search(text)
    reason = found.group(1) if found else "TLS handshake failed"
    if tls.client_cert is None:
        hint = f"if it requires a client certificate, pass one with {CLIENT_CERT_HINT}"
    else:
        hint = f"check that it accepts the client certificate {tls.client_cert}"
    return TlsError(f"the TLS connection to {host} failed ({reason}): {hint}", detail=detail)


CONNECT_TIMEOUT = 10.0


class Http(requests.Session):
    """A session that knows the run's timeouts and retry budget, and takes the proxies from the
    environment (HTTPS_PROXY, NO_PROXY...) itself: `trust_env` stays off."""

    def __init__(self, net: Network) -> None:
        super().__init__()
        self.network = net

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kw: Any) -> requests.Response:
        if kw.get("proxies") is None:
            kw["proxies"] = proxies(url.decode() if isinstance(url, bytes) else url)
        return super().request(method, url, *args, **kw)


def shown_reason(resp: requests.Response, *args: object, **kw: object) -> requests.Response:
    """A response hook: the reason phrase is the server's text, its control characters escaped
    before any message can quote it."""
    resp.reason = shown(resp.reason or "")
    return resp


def session(net: Network | None = None) -> Http:
    s = Http(net or Network())
    s.hooks["response"].append(shown_reason)
    s.headers["User-Agent"] = f"shipyard/{__version__}"
    s.trust_env = False  # no .netrc credentials sneaking in; CA bundle and proxies: index.transport
    for prefix in ("http://", "https://"):
        s.mount(prefix, Watched())  # its sockets obey the deadline of the request
    return s


def network_of(http: requests.Session) -> Network:
    return http.network if isinstance(http, Http) else Network()


def read_timeout(http: requests.Session) -> tuple[float, float]:
    """(connect, read) seconds for a GET."""
    return (CONNECT_TIMEOUT, network_of(http).read_timeout)


ANSWER_LIMIT = 64 * 1024  # bytes of a success answer read to free its connection


def drained(resp: requests.Response) -> None:
    """A streamed answer read to its end (a success's few bytes), so that its connection goes back
    to the pool for the next request instead of a new one each time; one that runs past
    ANSWER_LIMIT is closed with the response, as before."""
    read = 0
    for chunk in resp.iter_content(8192):
        read += len(chunk)
        if read > ANSWER_LIMIT:
            return
