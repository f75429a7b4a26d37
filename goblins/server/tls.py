"""The server's side of TLS: its certificate, and the CA its clients' certificates must come from
(mutual TLS)."""

from __future__ import annotations

import dataclasses

import grpc

from goblins._tls import check_pair, read_key, read_pem


@dataclasses.dataclass(frozen=True)
class ServerTLS:
    """``cert`` and ``key``: the server's certificate (PEM, with its chain) and private key.
    ``client_ca``: when given, every client must present a certificate this CA signed."""

    cert: str
    key: str
    client_ca: str | None = None

    def __post_init__(self) -> None:
        # A wrong file fails at start, naming its flag: grpc would say "address already in use".
        self.credentials()
        check_pair(read_pem(self.cert, "--tls-cert"), read_key(self.key, "--tls-key"), "--tls-cert", "--tls-key")

    def credentials(self) -> grpc.ServerCredentials:
        chain = read_pem(self.cert, "--tls-cert")
        key = read_key(self.key, "--tls-key")
        client_ca = read_pem(self.client_ca, "--tls-client-ca") if self.client_ca is not None else None
        return grpc.ssl_server_credentials(
            [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
        )

    @property
    def mutual(self) -> bool:
        return self.client_ca is not None
