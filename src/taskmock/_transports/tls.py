"""HTTPS for the server: a throw-away CA and certificate (trustme), or the user's own.

Clients that insist on `https://` reach the mock once they trust the CA bundle written here:
`SSL_CERT_FILE` (httpx, OpenSSL), `REQUESTS_CA_BUNDLE` (requests) or `curl --cacert`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from taskmock._http.messages import Request, Response
from taskmock.errors import MissingExtraError, UsageError

__all__ = ["CERT_NAMES", "ServerTLS", "https_base_urls", "own_certificate", "throwaway_ca"]

#: What the throw-away certificate is valid for: the addresses a local mock is reached at.
CERT_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class ServerTLS:
    """A server-side TLS context, and the CA bundle that clients trust it with (if we made one)."""

    context: ssl.SSLContext
    ca_bundle: Path | None = None

    def trust_lines(self) -> list[str]:
        """What to tell a user: where the CA bundle is and how to trust it."""
        if self.ca_bundle is None:
            return []
        path = self.ca_bundle
        return [
            f"TLS: a throw-away CA signed this server's certificate ({', '.join(CERT_NAMES)}).",
            f"CA bundle: {path}",
            "Trust it (for this mock only: these variables replace the system's CAs):",
            f"export SSL_CERT_FILE={path} REQUESTS_CA_BUNDLE={path}",
            f"curl --cacert {path} ...",
        ]


def throwaway_ca(ca_out: Path) -> ServerTLS:
    """A new CA, and a certificate it signed for `CERT_NAMES`; the CA is written to `ca_out`."""
    try:
        import trustme
    except ModuleNotFoundError as exc:
        if exc.name != "trustme":
            raise
        raise MissingExtraError("TLS with a throw-away certificate", "tls") from None
    ca = trustme.CA(organization_name="taskmock throw-away CA")
    certificate = ca.issue_cert(*CERT_NAMES)
    context = _server_context()
    certificate.configure_cert(context)
    try:
        ca_out.parent.mkdir(parents=True, exist_ok=True)
        ca.cert_pem.write_to_path(str(ca_out))
    except OSError as exc:
        raise UsageError(f"cannot write the CA bundle to {ca_out}: {exc.strerror}") from None
    return ServerTLS(context, ca_out)


def own_certificate(cert: Path, key: Path | None = None) -> ServerTLS:
    """A context serving the user's certificate chain (PEM) and key (or a key inside `cert`)."""
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise UsageError(f"cannot read {path}: no such file")
    context = _server_context()
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        files = f"{cert} and {key}" if key else str(cert)
        raise UsageError(f"cannot use {files} as a PEM certificate chain and key: {exc}") from None
    return ServerTLS(context)


def _server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_alpn_protocols(["http/1.1"])  # so a client offering h2 settles at once
    return context


def https_base_urls(handle: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Wrap a server's handler so the mock builds `https://` URLs: the HTTP/1.1 server names
    the scheme it parses, and TLS ends below it."""

    def handle_https(request: Request) -> Response:
        if request.base_url.startswith("http://"):
            request.base_url = "https://" + request.base_url[len("http://") :]
        return handle(request)

    return handle_https
