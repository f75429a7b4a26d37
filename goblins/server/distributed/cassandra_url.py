"""Cassandra URLs with TLS and a login: ``cassandra://[USER[:PASS]@]H:P[,H:P]/KEYSPACE[?tls=1&ca=FILE]``.

The password may instead come from ``GOBLINS_CASSANDRA_PASSWORD`` (so that it is not in
``ps`` output). ``tls=1`` encrypts the native protocol and checks the server's certificate
against ``ca`` (or the system's CAs) and its host name; ``ca`` alone implies ``tls=1``.
Connection failures that waiting would not mend (a refused login, a certificate that does
not verify) become one ``ValueError`` line; the password never appears in any message.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import ssl
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

PASSWORD_ENV = "GOBLINS_CASSANDRA_PASSWORD"
PARAMETERS = ("tls", "ca")
FORM = "cassandra://[USER[:PASSWORD]@]HOST:PORT[,HOST:PORT]/KEYSPACE[?tls=1&ca=FILE]"


@dataclasses.dataclass(frozen=True)
class CassandraTarget:
    hosts: list[str]
    port: int
    keyspace: str
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    tls: bool = False
    ca: str = ""

    def where(self) -> str:
        """Address, TLS and user for messages: never the password."""
        user = f", user {self.username}" if self.username else ""
        return f"{self.hosts[0]}:{self.port} ({'TLS' if self.tls else 'plaintext'}{user})"

    def setup_hint(self) -> str:
        """The ``--cassandra`` value of the setup command to suggest (without the password)."""
        if not (self.username or self.tls):
            return f"{self.hosts[0]}:{self.port} --keyspace {self.keyspace}"
        user = f"{self.username}@" if self.username else ""
        query = "?tls=1" + (f"&ca={self.ca}" if self.ca else "") if self.tls else ""
        return f"'cassandra://{user}{','.join(self.hosts)}:{self.port}/{self.keyspace}{query}'"

    def driver_options(self) -> dict[str, Any]:
        """``auth_provider`` and ``ssl_context`` for ``cassandra.cluster.Cluster``."""
        options: dict[str, Any] = {}
        if self.username:
            from cassandra.auth import PlainTextAuthProvider

            options["auth_provider"] = PlainTextAuthProvider(self.username, self.password)
        if self.tls:
            # check_hostname is on: the driver then names each node's address to the handshake.
            try:
                options["ssl_context"] = ssl.create_default_context(cafile=self.ca or None)
            except ssl.SSLError as exc:
                raise _bad(f"cannot load the CA file {self.ca!r}: {exc}") from None
        return options


def _bad(what: str) -> ValueError:
    return ValueError(f"cassandra URL: {what}")


def parse_cassandra_url(url: str) -> CassandraTarget:
    """Parse a ``cassandra://`` URL (see the module); ValueError names the bad part."""
    if not url.startswith("cassandra://"):
        raise _bad(f"expected {FORM}")
    parts = urlsplit(url)
    userinfo, _, hostpart = parts.netloc.rpartition("@")
    keyspace = parts.path.strip("/") or "goblins"
    hosts, port = [], 9042
    for part in hostpart.split(","):
        host, _, p = part.partition(":")
        if host:
            hosts.append(host)
        if p:
            if not p.isdigit():
                raise _bad(f"port {p!r} is not a number (expected {FORM})")
            port = int(p)
    if not hosts:
        raise _bad(f"needs a host: {FORM}")
    if not keyspace.replace("_", "").isalnum():
        raise ValueError(f"cassandra keyspace must be letters, digits and _, got {keyspace!r}")
    username, _, password = userinfo.partition(":")
    username, password = unquote(username), unquote(password)
    if username and not password:
        password = os.environ.get(PASSWORD_ENV, "")
    if password and not username:
        raise _bad(f"a password needs a user name: cassandra://USER@HOST:PORT/KEYSPACE (password in {PASSWORD_ENV})")
    if username and not password:
        raise _bad(f"user {username!r} needs a password: set {PASSWORD_ENV} (or USER:PASSWORD@ in the URL)")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key in params:
        if key not in PARAMETERS:
            raise _bad(f"unknown parameter {key!r} (expected one of {', '.join(PARAMETERS)})")
    tls_text = params.get("tls", "1" if "ca" in params else "0").lower()
    if tls_text not in ("1", "0", "true", "false", "yes", "no"):
        raise _bad(f"tls={params['tls']!r}: expected 1 or 0")
    tls = tls_text in ("1", "true", "yes")
    ca = params.get("ca", "")
    if ca and not tls:
        raise _bad("ca= needs tls=1")
    if ca and not os.path.isfile(ca):
        raise _bad(f"cannot read the CA file {ca!r}")
    return CassandraTarget(hosts, port, keyspace, username, password, tls, ca)


def explain(target: CassandraTarget, exc: BaseException) -> ValueError | None:
    """One line for a connection failure that retrying would not mend, else None."""
    from cassandra import AuthenticationFailed
    from cassandra.cluster import NoHostAvailable

    causes: list[Any] = list(exc.errors.values()) if isinstance(exc, NoHostAvailable) else [exc]
    for cause in causes:
        text = str(cause)
        if isinstance(cause, AuthenticationFailed):
            if "requires authentication" in text:
                return ValueError(
                    f"Cassandra at {target.where()} requires a login: use cassandra://USER@HOST:PORT/KEYSPACE "
                    f"and set {PASSWORD_ENV}"
                )
            return ValueError(
                f"Cassandra at {target.where()} refused the login: {_server_message(text)} "
                f"(check the user name and {PASSWORD_ENV})"
            )
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
            return ValueError(f"TLS with Cassandra at {target.where()} failed: {text} (check ca=)")
        if isinstance(cause, ConnectionResetError) and not target.tls:
            return ValueError(
                f"Cassandra at {target.where()} closed the connection at once: does it expect TLS? (tls=1&ca=FILE)"
            )
        if isinstance(cause, ssl.SSLError) or "WRONG_VERSION_NUMBER" in text:
            return ValueError(
                f"TLS with Cassandra at {target.where()} failed: {text} (does the server speak TLS on this port?)"
            )
    return None


class QuietRefusals(logging.Filter):
    """Drops the driver's tracebacks about a refused login or TLS handshake while connecting:
    ``explain`` turns the same failure into one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        return explain(CassandraTarget([""], 0, ""), exc) is None


def _server_message(text: str) -> str:
    marker = "message="
    return text[text.index(marker) + len(marker) :].strip("\"')") if marker in text else text
