"""TLS on the command line: ``goblins dev-certs DIR``, the ``--tls-*`` flags of the server and of
every client command (worker, workflow, ui), and the server's refusal to listen beyond this
machine without protection."""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goblins._tls import TLSConfig

if TYPE_CHECKING:
    from goblins.server.tls import ServerTLS

log = logging.getLogger("goblins.server")

DEFAULT_CLIENT_NAME = "goblins-client"
LOOPBACK_NAMES = ("localhost",)
_VALID_DAYS = 365


def register(sub: Any) -> None:
    """Add ``goblins dev-certs`` to the subcommands ``sub`` (argparse's subparsers)."""
    d = sub.add_parser(
        "dev-certs",
        help="write a CA, a server and a client certificate into DIR, for trying TLS and mutual TLS",
    )
    d.add_argument("dir", help="directory to write ca.pem, server.pem, client.pem and their keys into")
    d.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME",
        help="another name or IP address for the server certificate (repeat); "
        "localhost, 127.0.0.1 and ::1 are always in it",
    )
    d.add_argument("--client-name", default=DEFAULT_CLIENT_NAME, help="the client certificate's common name")
    d.add_argument("--force", action="store_true", help="overwrite certificates already in DIR")
    d.set_defaults(func=cmd_dev_certs)


# ---- dev-certs ----


def write_dev_certs(
    directory: str | os.PathLike[str], hosts: Iterable[str] = (), client_name: str = DEFAULT_CLIENT_NAME
) -> dict[str, Path]:
    """Write a fresh CA (``ca.pem``, ``ca-key.pem``), a server certificate for localhost,
    127.0.0.1, ::1 and ``hosts`` (``server.pem``, ``server-key.pem``) and a client certificate
    named ``client_name`` (``client.pem``, ``client-key.pem``) into ``directory``; the keys are
    readable by their owner only. Returns the paths by name (``ca``, ``server``...)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=_VALID_DAYS)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "goblins dev"),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    def builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("goblins dev CA")
    ca = (
        builder(ca_name, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    def leaf(
        common: str, usage: x509.ObjectIdentifier, sans: list[x509.GeneralName]
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        b = (
            builder(name(common), ca_name, key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(authority, critical=False)
        )
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return b.sign(ca_key, hashes.SHA256()), key

    server, server_key = leaf(
        "localhost", ExtendedKeyUsageOID.SERVER_AUTH, _sans(["localhost", "127.0.0.1", "::1", *hosts])
    )
    client, client_key = leaf(client_name, ExtendedKeyUsageOID.CLIENT_AUTH, [])

    paths: dict[str, Path] = {}
    for label, cert, key in (("ca", ca, ca_key), ("server", server, server_key), ("client", client, client_key)):
        paths[label] = out / f"{label}.pem"
        paths[label].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths[f"{label}-key"] = out / f"{label}-key.pem"
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(paths[f"{label}-key"], pem)
    return paths


def _sans(hosts: Iterable[str]) -> list[Any]:
    from cryptography import x509

    names: list[Any] = []
    for host in dict.fromkeys(h.strip() for h in hosts if h.strip()):  # in order, once each
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only from the start (no moment of a wider mode)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def cmd_dev_certs(args: argparse.Namespace) -> int:
    out = Path(args.dir)
    taken = [n for n in ("ca.pem", "server.pem", "client.pem") if (out / n).exists()]
    if taken and not args.force:
        raise ValueError(f"{out} already holds {', '.join(taken)}: pass --force to replace them")
    try:
        paths = write_dev_certs(out, args.host, args.client_name)
    except OSError as exc:
        raise ValueError(f"cannot write certificates into {out}: {exc.strerror or exc}") from None
    p = {k: str(v) for k, v in paths.items()}
    print(f"wrote a CA, a server and a client certificate into {out} (for development only)")
    print(f"server:  goblins server --tls-cert {p['server']} --tls-key {p['server-key']} --tls-client-ca {p['ca']}")
    print(f"clients: --tls-ca {p['ca']} --tls-cert {p['client']} --tls-key {p['client-key']}")
    print(f"   or:   export GOBLINS_TLS_CA={p['ca']} GOBLINS_TLS_CERT={p['client']} GOBLINS_TLS_KEY={p['client-key']}")
    return 0


# ---- flags ----


def add_client_flags(parser: argparse.ArgumentParser) -> None:
    """``--tls-ca``, ``--tls-cert``, ``--tls-key`` (their defaults: the GOBLINS_TLS_* variables)."""
    parser.add_argument(
        "--tls-ca", default=None, metavar="FILE", help="connect over TLS, trusting this CA (default $GOBLINS_TLS_CA)"
    )
    parser.add_argument(
        "--tls-cert", default=None, metavar="FILE", help="client certificate for mutual TLS (default $GOBLINS_TLS_CERT)"
    )
    parser.add_argument(
        "--tls-key", default=None, metavar="FILE", help="the client certificate's key (default $GOBLINS_TLS_KEY)"
    )


def client_tls(args: argparse.Namespace) -> TLSConfig | None:
    """The TLSConfig the flags ask for; with none of them, the environment's (or ``None``)."""
    ca, cert, key = (getattr(args, f, None) for f in ("tls_ca", "tls_cert", "tls_key"))
    if ca is None and cert is None and key is None:
        return TLSConfig.from_env()
    if (cert is None) != (key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    env = TLSConfig.from_env()
    # A flag given overrides its variable; the others still come from the environment.
    return TLSConfig(
        ca=ca if ca is not None else env.ca if env else None,
        cert=cert if cert is not None else env.cert if env else None,
        key=key if key is not None else env.key if env else None,
        server_name=env.server_name if env else None,
    )


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    """The server's ``--tls-cert``, ``--tls-key``, ``--tls-client-ca`` and ``--insecure``."""
    env = os.environ.get
    parser.add_argument(
        "--tls-cert",
        default=env("GOBLINS_SERVER_TLS_CERT"),
        metavar="FILE",
        help="serve TLS with this certificate (PEM, with its chain)",
    )
    parser.add_argument("--tls-key", default=env("GOBLINS_SERVER_TLS_KEY"), metavar="FILE", help="its private key")
    parser.add_argument(
        "--tls-client-ca",
        default=env("GOBLINS_SERVER_TLS_CLIENT_CA"),
        metavar="FILE",
        help="require client certificates signed by this CA (mutual TLS)",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow a --host beyond this machine without TLS and --auth (anyone reaching the port may do anything)",
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only: 127.0.0.0/8, ::1 or localhost (names are not resolved)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(args: argparse.Namespace) -> None:
    """Refuse (ValueError, one line) a server reachable beyond this machine that neither TLS nor
    authentication protects, unless ``--insecure`` says so; then warn."""
    host = str(args.host)
    tls = bool(getattr(args, "tls_cert", None))
    auth = bool(getattr(args, "auth", None))
    if is_loopback(host) or (tls and auth):
        return
    missing = " and ".join(m for m, have in (("TLS (--tls-cert/--tls-key)", tls), ("--auth", auth)) if not have)
    if not getattr(args, "insecure", False):
        raise ValueError(
            f"--host {host} would let other machines reach the server without {missing}: "
            "configure them, or pass --insecure to accept it"
        )
    log.warning(
        "--insecure: the server on %s has no %s: anyone who can reach the port can read and change every run",
        host,
        missing,
    )


def server_tls(args: argparse.Namespace) -> ServerTLS | None:
    """The server's TLS settings from its flags (``None``: plaintext)."""
    cert, key, client_ca = args.tls_cert, args.tls_key, args.tls_client_ca
    if cert is None and key is None:
        if client_ca is not None:
            raise ValueError("--tls-client-ca needs --tls-cert and --tls-key (the server's own certificate)")
        return None
    if cert is None or key is None:
        raise ValueError("--tls-cert and --tls-key go together")
    from goblins.server.tls import ServerTLS  # the client commands never import server code

    return ServerTLS(cert=cert, key=key, client_ca=client_ca)
