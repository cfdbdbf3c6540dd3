"""What stands between shipyard and an index on a corporate network, for tests: a throwaway CA and
certificates made at run time (cryptography), a TLS endpoint on 127.0.0.1 in front of a real index
(optionally requiring a client certificate), and a forward/CONNECT proxy that logs what passes.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import select
import socket
import socketserver
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers.indexes import HOST, TestIndex
from tests.helpers.serving import serving


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA's certificate (what --cert names)
    server_cert: Path  # 127.0.0.1's certificate and key, one PEM
    client_cert: Path  # a client certificate and its key, one PEM (what --client-cert names)
    other_client: Path  # a client certificate from a CA the server does not know


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    else:
        purpose = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    if server:
        alt = x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
        )
        builder = builder.add_extension(alt, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(folder: Path) -> Pki:
    """A CA, a server certificate for 127.0.0.1 signed by it, and client certificates."""
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM

    def issue(
        subject: str, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey], server: bool, out: Path
    ) -> Path:
        key = ec.generate_private_key(ec.SECP256R1())
        out.write_bytes(_cert(subject, key, issuer, server=server).public_bytes(pem) + _pem_key(key))
        return out

    cas = []
    for label in ("shipyard test CA", "a CA nobody trusts"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(label, key, None, ca=True)
        cas.append((cert, key))
    (folder / "ca.pem").write_bytes(cas[0][0].public_bytes(pem))
    ours = (cas[0][0].subject, cas[0][1])
    return Pki(
        folder / "ca.pem",
        issue(HOST, ours, True, folder / "server.pem"),
        issue("shipyard-client", ours, False, folder / "client.pem"),
        issue("stranger", (cas[1][0].subject, cas[1][1]), False, folder / "stranger.pem"),
    )


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return


class _TlsServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class TlsFront:
    port: int
    handshakes_failed: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}/"

    def index(self, index: TestIndex) -> TestIndex:
        """`index` as reached through this endpoint."""
        return TestIndex(
            f"{index.name} over TLS",
            self.url + index.upload_url.split("/", 3)[3],
            self.url + index.simple_url.split("/", 3)[3],
            index.username,
            index.password,
            index.root,
        )


@contextlib.contextmanager
def tls_front(upstream: str, pki: Pki, *, require_client_cert: bool = False) -> Iterator[TlsFront]:
    """https://127.0.0.1:PORT/ relaying to the http `upstream` URL's host and port."""
    parts = urlsplit(upstream)
    target = (parts.hostname or HOST, parts.port or 80)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    front = TlsFront(0)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                tls = context.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                front.handshakes_failed.append(str(exc))
                return
            with tls, socket.create_connection(target) as back:
                _relay(tls, back)

    server = _TlsServer((HOST, 0), Handler)
    front.port = server.server_address[1]
    with serving(server):
        yield front


@dataclass(frozen=True)
class Passed:
    """One request the proxy saw: its method, target and headers (lower-case names)."""

    method: str
    target: str
    headers: dict[str, str]


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    log: list[Passed]


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _record(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log.append(Passed(self.command, self.path, headers))

    def do_CONNECT(self) -> None:
        self._record()
        host, _, port = self.path.rpartition(":")
        try:
            back = socket.create_connection((host, int(port)))
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        with back:
            _relay(self.connection, back)
        self.close_connection = True

    def _forward(self) -> None:
        self._record()
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in ("proxy-authorization", "proxy-connection")
        }
        conn = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=60)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(self.command, path or "/", body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_HEAD = _forward


@dataclass
class Proxy:
    port: int
    log: list[Passed]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextlib.contextmanager
def logging_proxy() -> Iterator[Proxy]:
    """A forward (absolute-URI) and CONNECT proxy on 127.0.0.1 that records every request it gets."""
    server = _ProxyServer((HOST, 0), _ProxyHandler)
    server.log = []
    with serving(server):
        yield Proxy(server.server_address[1], server.log)
