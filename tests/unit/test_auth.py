"""Authentication and roles without a network: the permission table covers every RPC, the auth
file's mistakes are named, tokens and certificate subjects map to their principals."""

from __future__ import annotations

import pathlib

import pytest

from goblins import _cli_auth
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2
from goblins.errors import PermissionDenied, Unauthenticated
from goblins.server import auth
from goblins.server.auth import AuthFileError, Caller, Principal, StaticTokens, subjects_of, token_sha256

SERVICE = service_pb2.DESCRIPTOR.services_by_name["Goblins"]


def test_every_rpc_has_a_permission() -> None:
    """A new RPC must be given its permission in auth.RPCS (else it is refused to everyone)."""
    rpcs = {method.name for method in SERVICE.methods}
    assert set(auth.RPCS) == rpcs, f"missing: {rpcs - set(auth.RPCS)}, unknown: {set(auth.RPCS) - rpcs}"
    for rpc, needed in auth.RPCS.items():
        assert needed and needed <= set(auth.PERMISSIONS), rpc


def test_every_client_session_request_has_a_permission() -> None:
    kinds = {field.name for field in pb.ClientRequest.DESCRIPTOR.oneofs_by_name["kind"].fields}
    assert set(auth.CLIENT_REQUESTS) == kinds
    assert set(auth.CLIENT_REQUESTS.values()) <= auth.RPCS["ClientSession"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", set(auth.RPCS)),
        (
            "client",
            {
                "StartWorkflow",
                "GetResult",
                "GetHistory",
                "DescribeWorkflow",
                "ListWorkflows",
                "ListWorkers",
                "ListTaskQueues",
                "Signal",
                "Cancel",
                "Query",
                "UpdateWorkflow",
                "CompleteActivity",
                "ResetWorkflow",
                "ClientSession",
                "CountWorkflows",
                "SearchAttributes",
                "ScheduleCommand",
                "DescribeSchedule",
                "ListSchedules",
            },
        ),
        (
            "reader",
            {
                "GetResult",
                "GetHistory",
                "DescribeWorkflow",
                "ListWorkflows",
                "ListWorkers",
                "ListTaskQueues",
                "Query",
                "ClientSession",
                "CountWorkflows",
                "SearchAttributes",
                "DescribeSchedule",
                "ListSchedules",
            },
        ),
        ("worker", {"Connect", "Register", "CheckTasks", "AnswerQuery", "GetClusterInfo", "GetHistory"}),
    ],
)
def test_roles_admit_these_rpcs(role: str, allowed: set[str]) -> None:
    principal = Principal("p", role)
    assert {rpc for rpc, needed in auth.RPCS.items() if any(principal.may(p) for p in needed)} == allowed


def test_reader_may_not_start_or_terminate_in_a_stream_or_a_cancel() -> None:
    token = auth._current.set(Principal("r", "reader"))
    try:
        auth.require_request("result")
        with pytest.raises(PermissionDenied, match="'r' \\(role reader\\) may not start workflows"):
            auth.require_request("start")
        with pytest.raises(PermissionDenied, match="no permission covers"):
            auth.require_request("")
        with pytest.raises(PermissionDenied, match="terminate runs"):
            auth.require("terminate")
    finally:
        auth._current.reset(token)


def test_without_a_principal_everything_passes() -> None:
    auth.require("terminate")
    auth.require_request("")
    auth.require_names(["any"], ["thing"])


def test_a_limited_worker_may_register_only_its_names() -> None:
    token = auth._current.set(Principal("w", "worker", frozenset({"a"}), None))
    try:
        auth.require_names(["a"], ["anything"])
        with pytest.raises(PermissionDenied, match="register workflow 'b' \\(its workflow names: a\\)"):
            auth.require_names(["a", "b"], [])
    finally:
        auth._current.reset(token)


def test_subjects_of_a_mutual_tls_peer() -> None:
    context = {
        "transport_security_type": [b"ssl"],
        "x509_common_name": [b"worker-eu"],
        "x509_subject": [b"CN=worker-eu,O=goblins"],
        "x509_pem_cert": [b"-----BEGIN CERTIFICATE-----..."],
    }
    assert subjects_of(context) == ("CN=worker-eu,O=goblins", "worker-eu")
    assert subjects_of({"transport_security_type": [b"insecure"]}) == ()
    assert subjects_of({}) == ()


def write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "auth.toml"
    path.write_text(text)
    return path


def test_static_tokens_by_token_and_by_subject(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        f"""
[[principal]]
name = "ci"
role = "client"
token_sha256 = "{token_sha256("s3cret")}"

[[principal]]
name = "eu"
role = "worker"
subject = "worker-eu"
workflows = ["order"]
activities = []
""",
    )
    tokens = StaticTokens.load(path)
    assert tokens.authenticate(Caller("s3cret", {}, ())) == Principal("ci", "client")
    eu = tokens.authenticate(Caller(None, {}, ("CN=worker-eu,O=x", "worker-eu")))
    assert eu == Principal("eu", "worker", frozenset({"order"}), frozenset())
    with pytest.raises(Unauthenticated, match="not one this server knows"):
        tokens.authenticate(Caller("S3cret", {}, ()))
    with pytest.raises(Unauthenticated, match="requires a token"):
        tokens.authenticate(Caller(None, {}, ()))
    with pytest.raises(Unauthenticated, match="'CN=other' is not in"):
        tokens.authenticate(Caller(None, {}, ("CN=other",)))


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[[principal]\n", "is not valid TOML"),
        ("[tokens]\n", "unknown key 'tokens'"),
        ("principal = 3\n", "must be [[principal]] tables"),
        ('[[principal]]\nrole = "admin"\nsubject = "x"\n', "principal #1: key 'name': expected a non-empty string"),
        (
            '[[principal]]\nname = "a"\nrole = "root"\nsubject = "x"\n',
            "principal #1 ('a'): key 'role': expected one of admin, client, reader, worker, got 'root'",
        ),
        ('[[principal]]\nname = "a"\nrole = "admin"\n', "expected exactly one of 'token_sha256' and 'subject'"),
        (
            '[[principal]]\nname = "a"\nrole = "admin"\ntoken_sha256 = "abc"\n',
            "key 'token_sha256': expected 64 hex digits",
        ),
        (
            '[[principal]]\nname = "a"\nrole = "admin"\ntoken = "clear"\n',
            "principal #1: unknown key 'token'",
        ),
        (
            '[[principal]]\nname = "a"\nrole = "client"\nsubject = "x"\nworkflows = ["w"]\n',
            "key 'workflows': only a 'worker' entry lists names",
        ),
        (
            '[[principal]]\nname = "a"\nrole = "worker"\nsubject = "x"\nactivities = "w"\n',
            "key 'activities': expected a list of names",
        ),
        (
            '[[principal]]\nname = "a"\nrole = "worker"\nsubject = "x"\n'
            '[[principal]]\nname = "b"\nrole = "admin"\nsubject = "x"\n',
            "principal #2 ('b'): the same subject 'x' as principal #1",
        ),
    ],
)
def test_auth_file_mistakes_are_named(tmp_path: pathlib.Path, text: str, error: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AuthFileError) as info:
        StaticTokens.load(path)
    assert error in str(info.value)
    assert str(path) in str(info.value)


def test_missing_auth_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(AuthFileError, match="No such file"):
        StaticTokens.load(tmp_path / "nope.toml")


def test_bearer_token_shapes() -> None:
    assert auth.bearer_token({}) is None
    assert auth.bearer_token({"authorization": "Bearer abc"}) == "abc"
    assert auth.bearer_token({"authorization": "bearer  abc "}) == "abc"
    for bad in ("Basic abc", "Bearer", "abc"):
        with pytest.raises(Unauthenticated, match="must be 'Bearer <token>'"):
            auth.bearer_token({"authorization": bad})


def test_cli_roles_are_the_servers() -> None:
    assert _cli_auth.ROLES == tuple(auth.ROLES)


def test_names_with_quotes_round_trip_through_the_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "auth.toml"
    odd = 'CN=a "b" \\ c\té\x7f'
    _cli_auth.append_entry(path, {"name": odd, "role": "reader", "subject": odd})
    tokens = StaticTokens.load(path)
    assert tokens.authenticate(Caller(None, {}, (odd,))) == Principal(odd, "reader")
    assert path.stat().st_mode & 0o777 == 0o600
