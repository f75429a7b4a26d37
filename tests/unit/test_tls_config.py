"""goblins.TLSConfig and the TLS helpers of the command line: clear errors, no network."""

from __future__ import annotations

import argparse
import pathlib

import pytest

import goblins
from goblins._cli_tls import check_exposure, client_tls, is_loopback, write_dev_certs
from goblins._tls import handshake_failure


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {k: str(v) for k, v in write_dev_certs(tmp_path_factory.mktemp("certs")).items()}


def test_a_config_reads_its_files(certs: dict[str, str]) -> None:
    tls = goblins.TLSConfig(ca=certs["ca"], cert=certs["client"], key=certs["client-key"], server_name="localhost")
    assert tls.channel_options() == [("grpc.ssl_target_name_override", "localhost")]
    assert tls.credentials() is not None
    assert goblins.TLSConfig().channel_options() == []  # the system's roots, no client certificate


@pytest.mark.parametrize(
    ("kwargs", "expected", "named"),
    [
        ({"cert": "client"}, "TLSConfig: cert given without key", None),
        ({"key": "client-key"}, "TLSConfig: key given without cert", None),
        ({"ca": "missing"}, "TLSConfig(ca=...): cannot read", "missing"),
        ({"ca": "client-key"}, "holds no PEM certificate", "client-key"),
        ({"cert": "client", "key": "client"}, "TLSConfig(key=...): ", "client"),
        ({"server_name": ""}, "TLSConfig: server_name is empty", None),
        ({"cert": "client", "key": "server-key"}, "TLSConfig(key=...) is not the private key of", None),
    ],
)
def test_config_errors_name_the_argument_and_file(
    certs: dict[str, str], tmp_path: pathlib.Path, kwargs: dict[str, str], expected: str, named: str | None
) -> None:
    files = {**certs, "missing": str(tmp_path / "missing.pem")}
    with pytest.raises(goblins.GoblinsError) as caught:
        goblins.TLSConfig(**{k: files.get(v, v) for k, v in kwargs.items()})
    assert expected in str(caught.value)
    if named is not None:
        assert repr(files[named]) in str(caught.value)


def test_from_env(certs: dict[str, str]) -> None:
    assert goblins.TLSConfig.from_env({}) is None
    assert goblins.TLSConfig.from_env({"GOBLINS_TLS_CA": ""}) is None
    assert goblins.TLSConfig.from_env({"GOBLINS_TLS_CA": certs["ca"]}) == goblins.TLSConfig(ca=certs["ca"])
    both = {"GOBLINS_TLS_CERT": certs["client"], "GOBLINS_TLS_KEY": certs["client-key"]}
    assert goblins.TLSConfig.from_env(both) == goblins.TLSConfig(cert=certs["client"], key=certs["client-key"])
    with pytest.raises(goblins.GoblinsError, match="GOBLINS_TLS_CERT is set but GOBLINS_TLS_KEY is not"):
        goblins.TLSConfig.from_env({"GOBLINS_TLS_CERT": certs["client"]})


def test_connect_and_worker_check_the_type() -> None:
    with pytest.raises(TypeError, match=r"tls must be a goblins\.TLSConfig"):
        goblins.Worker("localhost:1", activities=[], tls="ca.pem")  # type: ignore[arg-type]


def test_flags_override_the_environment(certs: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOBLINS_TLS_CA", certs["ca"])
    assert client_tls(argparse.Namespace()) == goblins.TLSConfig(ca=certs["ca"])
    flags = argparse.Namespace(tls_ca=None, tls_cert=certs["client"], tls_key=certs["client-key"])
    assert client_tls(flags) == goblins.TLSConfig(ca=certs["ca"], cert=certs["client"], key=certs["client-key"])
    with pytest.raises(ValueError, match="--tls-cert and --tls-key go together"):
        client_tls(argparse.Namespace(tls_ca=None, tls_cert=certs["client"], tls_key=None))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("10.0.0.1", False),
        ("myhost", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_exposure_needs_tls_and_auth_or_insecure(caplog: pytest.LogCaptureFixture) -> None:
    def check(**flags: object) -> None:
        check_exposure(argparse.Namespace(**{"host": "0.0.0.0", "tls_cert": None, "insecure": False, **flags}))

    check(host="127.0.0.1")
    check(tls_cert="server.pem", auth="auth.toml")
    with pytest.raises(ValueError, match=r"without TLS \(--tls-cert/--tls-key\) and --auth"):
        check()
    with pytest.raises(ValueError, match="without --auth"):
        check(tls_cert="server.pem")
    with pytest.raises(ValueError, match=r"without TLS \(--tls-cert/--tls-key\): "):
        check(auth="auth.toml")
    check(insecure=True)
    assert "--insecure" in caplog.text and "WARNING" in caplog.text.upper()


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ("Tls handshake failed (TSI_PROTOCOL_FAILURE): ... CERTIFICATE_VERIFY_FAILED: unable", "not signed by the CA"),
        ("Tls handshake failed (TSI_PROTOCOL_FAILURE): ... WRONG_VERSION_NUMBER: x", "does not speak TLS"),
        ("Ssl handshake failed: something new", "the TLS handshake failed"),
        ("failed to connect to all addresses; Connection refused", None),
        ("Socket closed", None),
        ("ipv4:127.0.0.1:41983: Handshake read failed (Endpoint closing)", None),  # the server closed it
    ],
)
def test_handshake_failures_become_one_reason(details: str, expected: str | None) -> None:
    reason = handshake_failure(details)
    assert (reason is None) if expected is None else (reason is not None and expected in reason)


def test_a_reconnecting_worker_warns_once_per_refusal() -> None:
    from goblins._channel import Refusals

    refusals = Refusals(None)
    closed = "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:1: Socket closed"
    said = [refusals.see(closed) for _ in range(5)]
    assert said[:2] == [None, None] and said[3:] == [None, None]  # a restart closes once or twice; said once
    assert said[2] is not None and "may require TLS" in said[2]
    assert refusals.see("Connection refused") is None  # the server is down: not a refusal
    verify = "Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: CERTIFICATE_VERIFY_FAILED"
    assert refusals.see(verify) is not None and refusals.see(verify) is None
    refusals.connected()
    assert refusals.see(verify) is not None  # a new refusal after a connection: said again
