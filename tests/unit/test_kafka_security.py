"""The security parameters of kafka:// and cassandra:// URLs: what they turn into, the one-line
errors for bad values, and that no password reaches a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from goblins._kafka_security import ClientErrors, KafkaTarget, parse_kafka_url, redact, worker_settings
from goblins.server.distributed.cassandra_url import parse_cassandra_url

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def ca(tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_text(PEM)
    return str(path)


def test_kafka_sasl_ssl_url(ca: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOBLINS_KAFKA_PASSWORD", "s3cret")
    target = parse_kafka_url(f"kafka://h1:9093,h2:9093/ns?security=SASL_SSL&username=app&ca={ca}")
    assert (target.bootstrap, target.namespace) == ("h1:9093,h2:9093", "ns")
    assert target.settings == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "app",
        "sasl.password": "s3cret",
        "ssl.ca.pem": PEM,
    }
    assert "s3cret" not in target.describe() and "app" in target.describe()
    assert target.shared() == target.settings
    kept = parse_kafka_url(f"kafka://h:1?security=SASL_SSL&username=app&ca={ca}&share_credentials=0")
    assert "sasl.password" not in kept.shared() and "sasl.username" not in kept.shared()


def test_kafka_plain_urls_unchanged() -> None:
    assert parse_kafka_url("kafka://h:9092/ns") == KafkaTarget("h:9092", "ns")
    assert parse_kafka_url("h:9092", "--kafka").config() == {"bootstrap.servers": "h:9092"}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("security=TLS", "security='TLS' is not one of"),
        ("security=SASL_SSL&username=u", "needs a password: set GOBLINS_KAFKA_PASSWORD"),
        ("security=SASL_SSL&password=p", "needs username="),
        ("security=SASL_SSL&username=u&password=p&sasl_mechanism=GSSAPI", "sasl_mechanism='GSSAPI'"),
        ("username=u", "username= needs security=SASL_SSL or SASL_PLAINTEXT"),
        ("security=SASL_PLAINTEXT&username=u&password=p&ca=x.pem", "ca= needs security=SSL or SASL_SSL"),
        ("security=SSL&ca=/no/such.pem", "cannot read the CA file"),
        ("tls=1", "unknown Kafka URL parameter 'tls'"),
        ("security=SASL_SSL&username=u&password=hunter2&share_credentials=maybe", "share_credentials='maybe'"),
    ],
)
def test_kafka_bad_values_say_which_parameter(query: str, says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOBLINS_KAFKA_PASSWORD", raising=False)
    monkeypatch.delenv("GOBLINS_KAFKA_USERNAME", raising=False)
    with pytest.raises(ValueError, match=r"^--broker: ") as caught:
        parse_kafka_url(f"kafka://h:9092?{query}")
    assert says in str(caught.value) and "hunter2" not in str(caught.value)


def test_worker_settings_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "srv"}
    monkeypatch.delenv("GOBLINS_KAFKA_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="shares no credentials: set GOBLINS_KAFKA_PASSWORD"):
        worker_settings(shared)
    monkeypatch.setenv("GOBLINS_KAFKA_USERNAME", "worker")
    monkeypatch.setenv("GOBLINS_KAFKA_PASSWORD", "w")
    assert worker_settings(shared)["sasl.username"] == "worker"
    assert worker_settings({}) == {}


def test_kafka_errors_explained() -> None:
    target = KafkaTarget("h:9093", settings={"security.protocol": "SASL_SSL", "sasl.username": "u"})
    login = ClientErrors()
    login.log(
        3,
        "%s [%s] %s",
        "FAIL",
        "rdkafka#producer-1",
        "[thrd:sasl_ssl://h:9093/bootstrap]: "
        "sasl_ssl://h:9093/bootstrap: SASL authentication error: Authentication failed (after 3ms)",
    )
    assert login.explain(target, "timeout").startswith("Kafka at h:9093 (SASL_SSL, user u) refused the login: SASL")
    tls = ClientErrors()
    tls("sasl_ssl://h:9093/bootstrap: SSL handshake failed: certificate verify failed")
    assert tls.explain(target, "timeout").startswith("TLS with Kafka at")
    closed = ClientErrors()
    for _ in range(2):
        closed.log(3, "%s", "h:9093/bootstrap: Disconnected (after 2ms in state APIVERSION_QUERY)")
    assert "expect TLS or SASL" in closed.explain(KafkaTarget("h:9093"), "timeout")
    nothing = ClientErrors()
    nothing("1/1 brokers are down")
    nothing("ssl://h:9093/bootstrap: Connect to ipv4#10.0.0.1:9093 failed: Connection refused")  # still starting
    assert nothing.fatal is None and "no Kafka broker answered" in nothing.explain(target, "timeout")


def test_cassandra_url(ca: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOBLINS_CASSANDRA_PASSWORD", "from-env")
    target = parse_cassandra_url(f"cassandra://app@h1:9142,h2/ks?tls=1&ca={ca}")
    assert (target.hosts, target.port, target.keyspace) == (["h1", "h2"], 9142, "ks")
    assert (target.username, target.password, target.tls, target.ca) == ("app", "from-env", True, ca)
    assert "from-env" not in repr(target) and "from-env" not in target.where()
    assert parse_cassandra_url("cassandra://app:p%40ss@h/ks").password == "p@ss"
    assert parse_cassandra_url(f"cassandra://h/ks?ca={ca}").tls  # ca= implies TLS
    plain = parse_cassandra_url("cassandra://h:9042/ks")  # the env password needs a user to apply
    assert (plain.username, plain.password, plain.tls) == ("", "", False)
    assert plain.driver_options() == {}
    with pytest.raises(ValueError, match="cannot load the CA file"):
        target.driver_options()  # not a real certificate
    system_cas = parse_cassandra_url("cassandra://app:pw@h/ks?tls=1")
    assert set(system_cas.driver_options()) == {"auth_provider", "ssl_context"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("cassandra://app@h/ks", "user 'app' needs a password: set GOBLINS_CASSANDRA_PASSWORD"),
        ("cassandra://h/ks?tls=maybe", "tls='maybe': expected 1 or 0"),
        ("cassandra://h/ks?tls=0&ca=x.pem", "ca= needs tls=1"),
        ("cassandra://h/ks?ssl=1", "unknown parameter 'ssl'"),
        ("cassandra://h:port/ks", "port 'port' is not a number"),
    ],
)
def test_cassandra_bad_values(url: str, says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOBLINS_CASSANDRA_PASSWORD", raising=False)
    with pytest.raises(ValueError, match=r"^cassandra URL: ") as caught:
        parse_cassandra_url(url)
    assert says in str(caught.value)


def test_redact() -> None:
    assert redact("kafka://h:1/ns?username=u&password=p&ca=x") == "kafka://h:1/ns?username=u&password=***&ca=x"
    assert redact("cassandra://u:p@h:1/ks?tls=1") == "cassandra://u:***@h:1/ks?tls=1"
    assert redact("cassandra://u@h:1/ks") == "cassandra://u@h:1/ks"
