"""Kafka URLs with TLS and SASL, shared by the server, the workers and ``goblins setup``.

``kafka://H:P[,H:P][/NAMESPACE][?security=SASL_SSL&sasl_mechanism=SCRAM-SHA-512&username=U
&password=P&ca=FILE]``: the query turns into librdkafka client settings. The password may
instead come from ``GOBLINS_KAFKA_PASSWORD`` (so that it is not in ``ps`` output).

Workers learn the Kafka address from the server (``ClusterInfo``), and the security settings
travel the same way: the CA as PEM text (a path would mean nothing on another machine), the
mechanism, and by default the username and password. ``share_credentials=0`` keeps the
credentials on the server; each worker then brings its own (``GOBLINS_KAFKA_USERNAME`` /
``GOBLINS_KAFKA_PASSWORD``), which also lets workers use a Kafka user with narrower ACLs.
A worker's own environment always wins over what the server shares.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

PASSWORD_ENV = "GOBLINS_KAFKA_PASSWORD"
USERNAME_ENV = "GOBLINS_KAFKA_USERNAME"
CA_ENV = "GOBLINS_KAFKA_CA"

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
PARAMETERS = ("security", "sasl_mechanism", "username", "password", "ca", "share_credentials")
SECRET_KEYS = ("sasl.username", "sasl.password")


@dataclasses.dataclass(frozen=True)
class KafkaTarget:
    """A parsed ``kafka://`` URL: where the brokers are and how to reach them."""

    bootstrap: str
    namespace: str = ""
    settings: Mapping[str, str] = dataclasses.field(default_factory=dict)  # librdkafka keys
    share_credentials: bool = True

    def config(self) -> dict[str, Any]:
        """Client settings for a Producer, Consumer or AdminClient."""
        return {"bootstrap.servers": self.bootstrap, **self.settings}

    def shared(self) -> dict[str, str]:
        """The security settings the server hands to workers in ``ClusterInfo``."""
        if self.share_credentials:
            return dict(self.settings)
        return {k: v for k, v in self.settings.items() if k not in SECRET_KEYS}

    def describe(self) -> str:
        """The address and protocol for messages and logs: never the password."""
        protocol = self.settings.get("security.protocol", "PLAINTEXT")
        user = self.settings.get("sasl.username")
        return f"{self.bootstrap} ({protocol}{f', user {user}' if user else ''})"


def _bad(flag: str, what: str) -> ValueError:
    return ValueError(f"{flag}: {what}")


def parse_kafka_url(url: str, flag: str = "--broker") -> KafkaTarget:
    """Parse ``kafka://H:P[,H:P][/NAMESPACE][?security=...]``; ValueError names the bad part.

    A bare ``H:P[,H:P]`` is accepted too (``goblins setup kafka --kafka``).
    """
    rest = url[len("kafka://") :] if url.startswith("kafka://") else url
    if "://" in rest:
        raise _bad(flag, f"expected kafka://HOST:PORT[,HOST:PORT][/NAMESPACE][?security=...], got {redact(url)!r}")
    rest, _, query = rest.partition("?")
    bootstrap, _, namespace = rest.partition("/")
    namespace = namespace.strip("/")
    if not bootstrap or not all(c.isalnum() or c in "._-" for c in namespace):
        raise _bad(flag, f"expected kafka://HOST:PORT[,HOST:PORT][/NAMESPACE][?security=...], got {redact(url)!r}")
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if key not in PARAMETERS:
            raise _bad(flag, f"unknown Kafka URL parameter {key!r} (expected one of {', '.join(PARAMETERS)})")
        params[key] = value
    return KafkaTarget(bootstrap, namespace, *security_settings(params, flag))


def security_settings(params: Mapping[str, str], flag: str = "--broker") -> tuple[dict[str, str], bool]:
    """librdkafka settings of the URL's query parameters, and whether to share credentials."""
    protocol = params.get("security", "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise _bad(flag, f"security={params['security']!r} is not one of {', '.join(PROTOCOLS)}")
    sasl, tls = protocol.startswith("SASL_"), protocol.endswith("SSL")
    settings: dict[str, str] = {} if protocol == "PLAINTEXT" else {"security.protocol": protocol}
    if sasl:
        mechanism = params.get("sasl_mechanism", "SCRAM-SHA-512").upper()
        if mechanism not in MECHANISMS:
            raise _bad(flag, f"sasl_mechanism={params['sasl_mechanism']!r} is not one of {', '.join(MECHANISMS)}")
        username = params.get("username") or os.environ.get(USERNAME_ENV, "")
        password = params.get("password") or os.environ.get(PASSWORD_ENV, "")
        if not username:
            raise _bad(flag, f"security={protocol} needs username=USER in the Kafka URL (or {USERNAME_ENV})")
        if not password:
            raise _bad(flag, f"security={protocol} needs a password: set {PASSWORD_ENV} (or password= in the URL)")
        settings.update({"sasl.mechanism": mechanism, "sasl.username": username, "sasl.password": password})
    else:
        for key in ("sasl_mechanism", "username", "password"):
            if key in params:
                raise _bad(flag, f"{key}= needs security=SASL_SSL or SASL_PLAINTEXT, not {protocol}")
    if "ca" in params:
        if not tls:
            raise _bad(flag, f"ca= needs security=SSL or SASL_SSL, not {protocol}")
        settings["ssl.ca.pem"] = read_ca(params["ca"], flag)
    share = params.get("share_credentials", "1").lower()
    if share not in ("1", "0", "true", "false", "yes", "no"):
        raise _bad(flag, f"share_credentials={params['share_credentials']!r}: expected 1 or 0")
    return settings, share in ("1", "true", "yes")


def read_ca(path: str, flag: str) -> str:
    """A CA bundle's PEM text (sent to workers as text: their machine may lack the file)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise _bad(flag, f"cannot read the CA file {path!r}: {exc.strerror or exc}") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise _bad(flag, f"the CA file {path!r} holds no PEM certificate")
    return text


def worker_settings(shared: Mapping[str, str]) -> dict[str, str]:
    """What a worker connects with: the server's shared settings, overridden by this
    process's ``GOBLINS_KAFKA_USERNAME`` / ``GOBLINS_KAFKA_PASSWORD`` / ``GOBLINS_KAFKA_CA``."""
    settings = dict(shared)
    protocol = settings.get("security.protocol", "PLAINTEXT")
    if protocol.startswith("SASL_"):
        for env, key in ((USERNAME_ENV, "sasl.username"), (PASSWORD_ENV, "sasl.password")):
            if os.environ.get(env):
                settings[key] = os.environ[env]
            elif key not in settings:
                raise ValueError(f"the server's Kafka uses {protocol} and shares no credentials: set {env}")
    if protocol.endswith("SSL") and os.environ.get(CA_ENV):
        settings["ssl.ca.pem"] = read_ca(os.environ[CA_ENV], CA_ENV)
    return settings


def redact(url: str) -> str:
    """``url`` with any ``password=`` value (Kafka) or ``user:pass@`` password hidden."""
    head, sep, query = url.partition("?")
    if "@" in head:
        scheme, _, rest = head.partition("://")
        userinfo, _, hosts = rest.rpartition("@")
        user = userinfo.split(":", 1)[0]
        head = f"{scheme}://{user}:***@{hosts}" if ":" in userinfo else head
    if sep:
        parts = [p if not p.startswith("password=") else "password=***" for p in query.split("&")]
        query = "&".join(parts)
    return head + sep + query


class ClientErrors:
    """librdkafka's ``error_cb`` and ``logger`` for one client: keeps the errors that explain
    a failure.

    librdkafka retries a refused login or a failed TLS handshake forever and only logs it;
    an admin call then ends with a bare timeout. The kept error says what went wrong. A
    plaintext client at a TLS listener shows only as connections closed during the first
    request (``APIVERSION_QUERY``): the second such close counts as the cause.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fatal: str | None = None
        self.last: str | None = None
        self._closed_early = 0

    def __call__(self, error: Any) -> None:
        self._note(_PREFIX.sub("", str(error.str() if hasattr(error, "str") else error)))

    def log(self, _level: int, fmt: str, *args: Any) -> None:
        """The ``logger`` protocol confluent-kafka calls (as ``logging.Logger.log``): its
        arguments end with the message, after the facility and the client's name."""
        text = str(args[-1]) if args else fmt
        self._note(_PREFIX.sub("", text))

    def _note(self, text: str) -> None:
        kind = _kind(text)
        with self._lock:
            if kind == "closed":
                self._closed_early += 1
                if self._closed_early < 2:
                    return
            self.last = text
            if kind is not None and self.fatal is None:
                self.fatal = text

    def explain(self, target: KafkaTarget, what: str) -> str:
        """One line: why ``what`` failed against ``target``."""
        where = target.describe()
        detail = self.fatal or self.last or what
        kind = _kind(detail)
        if kind == "tls":
            return f"TLS with Kafka at {where} failed: {detail} (check security= and ca=)"
        if kind == "login":
            return f"Kafka at {where} refused the login: {detail} (check the username and {PASSWORD_ENV})"
        if kind == "closed":
            return (
                f"Kafka at {where} closed every connection at its first request: {detail} "
                "(does the listener expect TLS or SASL? see security=)"
            )
        return f"no Kafka broker answered at {where}: {detail}"


# "[thrd:sasl_ssl://h:9092/bootstrap]: sasl_ssl://h:9092/bootstrap: " before the message proper
_PREFIX = re.compile(r"^(\[thrd:[^\]]*\]: )?(\S+/(bootstrap|\d+): )?")


def _kind(text: str) -> str | None:
    """What a librdkafka error or log line says: tls, login, closed (a plaintext client at a
    TLS listener, or the reverse), or None (nothing waiting would not mend)."""
    low = text.lower()
    if "ssl" in low.replace("sasl_ssl://", "") or "certificate" in low or "handshake" in low:
        return "tls"
    if "authentication" in low or "sasl" in low.replace("sasl_ssl://", "").replace("sasl_plaintext://", ""):
        return "login"
    if "apiversion" in low and ("disconnected" in low or "closed" in low):
        return "closed"
    return None


def admin_client(target: KafkaTarget, errors: ClientErrors | None = None) -> Any:
    """An AdminClient for ``target``; ``errors`` (when given) collects its connection errors
    and log lines (the caller reports them in one line instead of librdkafka's complaint at
    every retry)."""
    from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

    config = target.config()
    if errors is not None:
        config.update({"error_cb": errors, "logger": errors})
    return AdminClient(config)


def list_topics(admin: Any, target: KafkaTarget, errors: ClientErrors, timeout: float) -> Any:
    """``admin.list_topics`` that gives up as soon as the login or the TLS handshake fails
    (ValueError, one line) rather than at ``timeout``; ``errors`` must be ``admin``'s."""
    import time

    from confluent_kafka import KafkaException

    deadline = time.monotonic() + timeout
    while True:
        try:
            return admin.list_topics(timeout=min(1.0, max(0.1, deadline - time.monotonic())))
        except KafkaException as exc:
            admin.poll(0)  # error callbacks run only when the client is polled
            if errors.fatal is not None or time.monotonic() >= deadline:
                raise ValueError(errors.explain(target, str(exc))) from None
