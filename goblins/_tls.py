"""TLS for the channels of clients and workers: ``goblins.TLSConfig``, read from files or the environment."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import grpc

from goblins.errors import GoblinsError

ENV_CA = "GOBLINS_TLS_CA"
ENV_CERT = "GOBLINS_TLS_CERT"
ENV_KEY = "GOBLINS_TLS_KEY"
ENV_SERVER_NAME = "GOBLINS_TLS_SERVER_NAME"

_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_PRIVATE_KEY = b"PRIVATE KEY-----"


def read_pem(path: str, what: str, marker: bytes = _CERTIFICATE) -> bytes:
    """The bytes of the PEM file ``path``; a GoblinsError naming ``what`` (the argument or flag)
    and the file when it cannot be read or holds no PEM block of the expected kind. grpc itself
    would only fail later, at the handshake, with a message that names neither."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise GoblinsError(f"{what}: cannot read {path!r}: {exc.strerror or exc}") from None
    if marker not in data:
        kind = "private key" if marker == _PRIVATE_KEY else "certificate"
        raise GoblinsError(f"{what}: {path!r} holds no PEM {kind}")
    return data


def read_key(path: str, what: str) -> bytes:
    return read_pem(path, what, _PRIVATE_KEY)


def check_pair(cert: bytes, key: bytes, cert_what: str, key_what: str) -> None:
    """A GoblinsError when ``key`` is not the private key of ``cert`` (the first certificate of
    the chain); grpc would refuse the pair later with a message that names neither."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        public = x509.load_pem_x509_certificate(cert).public_key()
        private = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as exc:
        raise GoblinsError(f"{cert_what}/{key_what}: cannot load the certificate or its key: {exc}") from None
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if public.public_bytes(der, raw) != private.public_key().public_bytes(der, raw):
        raise GoblinsError(f"{key_what} is not the private key of the certificate of {cert_what}")


@dataclasses.dataclass(frozen=True)
class TLSConfig:
    """How a client or worker reaches a server over TLS (``Client.connect(..., tls=...)``,
    ``Worker(..., tls=...)``). The files are read, and checked, when the config is made."""

    ca: str | None = None
    """PEM file of the CA that signed the server's certificate (``None``: the system's roots)."""
    cert: str | None = None
    """PEM file of this client's certificate, for a server that requires mutual TLS."""
    key: str | None = None
    """PEM file of the private key of ``cert`` (both or neither)."""
    server_name: str | None = None
    """The name to expect in the server's certificate instead of the host of the address
    (e.g. the server is reached by an IP address or through a tunnel)."""

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            given, missing = ("cert", "key") if self.key is None else ("key", "cert")
            raise GoblinsError(f"TLSConfig: {given} given without {missing}: a client certificate needs both")
        if self.server_name is not None and not self.server_name:
            raise GoblinsError("TLSConfig: server_name is empty")
        # Read now: a wrong path fails where it is written, not at the first connection.
        _, cert, key = self._pems()
        if cert is not None and key is not None:
            check_pair(cert, key, "TLSConfig(cert=...)", "TLSConfig(key=...)")

    def _pems(self) -> tuple[bytes | None, bytes | None, bytes | None]:
        ca = read_pem(self.ca, "TLSConfig(ca=...)") if self.ca is not None else None
        cert = read_pem(self.cert, "TLSConfig(cert=...)") if self.cert is not None else None
        key = read_key(self.key, "TLSConfig(key=...)") if self.key is not None else None
        return ca, cert, key

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TLSConfig | None:
        """The config that ``GOBLINS_TLS_CA``, ``GOBLINS_TLS_CERT``, ``GOBLINS_TLS_KEY`` (and
        ``GOBLINS_TLS_SERVER_NAME``) describe; ``None`` when none of them is set."""
        env = os.environ if environ is None else environ
        ca, cert, key, name = (env.get(v) or None for v in (ENV_CA, ENV_CERT, ENV_KEY, ENV_SERVER_NAME))
        if ca is None and cert is None and key is None:
            return None
        if (cert is None) != (key is None):
            given, missing = (ENV_CERT, ENV_KEY) if key is None else (ENV_KEY, ENV_CERT)
            raise GoblinsError(f"{given} is set but {missing} is not: a client certificate needs both")
        return cls(ca=ca, cert=cert, key=key, server_name=name)

    def credentials(self) -> grpc.ChannelCredentials:
        """The channel credentials (the files are read again: certificates may be renewed)."""
        ca, cert, key = self._pems()
        return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)

    def channel_options(self) -> list[tuple[str, str]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []


def resolve(tls: TLSConfig | None) -> TLSConfig | None:
    """``tls``, else what the environment says (``None``: plaintext)."""
    if tls is not None and not isinstance(tls, TLSConfig):
        raise TypeError(f"tls must be a goblins.TLSConfig or None, got {type(tls).__name__}")
    return tls if tls is not None else TLSConfig.from_env()


_CLOSED = ("socket closed", "endpoint closing", "handshake read failed")


def closed_by_server(details: str) -> bool:
    """Whether the ``details`` of a failed call say the server closed the connection (during or
    right after the handshake: where the client was when it happened decides which words grpc
    uses). A server that refuses a client's certificate, or its lack of one, does just that."""
    lowered = details.lower()
    return any(words in lowered for words in _CLOSED)


def handshake_failure(details: str) -> str | None:
    """A one-line reason when the ``details`` of a failed call say the TLS handshake failed on
    this side (grpc reports it as UNAVAILABLE, like a server that is down), else ``None``."""
    if closed_by_server(details):
        return None
    lowered = details.lower()
    if "certificate_verify_failed" in lowered:
        return "the server's certificate is not signed by the CA this client trusts (--tls-ca / TLSConfig.ca)"
    if "wrong_version_number" in lowered or "packet_length_too_long" in lowered:
        return "the server does not speak TLS (drop --tls-ca, or start the server with --tls-cert/--tls-key)"
    if "certificate_required" in lowered or "peer did not return a certificate" in lowered:
        return "the server requires a client certificate (--tls-cert and --tls-key / TLSConfig.cert and key)"
    if "handshake" in lowered or "ssl_error" in lowered or "tlsv1_alert" in lowered:
        return f"the TLS handshake failed ({details.strip().splitlines()[0][-200:]})"
    return None
