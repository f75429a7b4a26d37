"""Authentication and roles over real gRPC on loopback: every RPC tried with no token, a wrong
token and each role; a worker limited to names; the auth file holds hashes only; the CLI's
add-token and its one-line refusals. Tokens are made the one way users make them: ``goblins
auth add-token``."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pathlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest

import goblins
from goblins import cli
from goblins._channel import open_channel
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.server import Server
from goblins.server.auth import Caller, Principal, StaticTokens
from tests.integration import primitives as p
from tests.integration import workflows as w
from tests.integration.test_cli import one_line_error

ROLES = ("admin", "client", "reader", "worker")
# The roles' rights as docs/security.md states them, written out here rather than read from
# goblins.server.auth: a change to the table there must show up as a failure here.
ALLOWED: dict[str, set[str]] = {
    "client": {
        "StartWorkflow",
        "GetResult",
        "GetHistory",
        "DescribeWorkflow",
        "ListWorkflows",
        "ListWorkers",
        "ListTaskQueues",
        "Signal",
        "Cancel",
        "Cancel(terminate)",
        "Query",
        "UpdateWorkflow",
        "CompleteActivity",
        "ResetWorkflow",
        "ClientSession(start)",
        "ClientSession(result)",
        "CountWorkflows",
        "SearchAttributes",
        "SearchAttributes(declare)",
        "ScheduleCommand",
        "DescribeSchedule",
        "ListSchedules",
    },
    "reader": {
        "GetResult",
        "GetHistory",
        "DescribeWorkflow",
        "ListWorkflows",
        "ListWorkers",
        "ListTaskQueues",
        "Query",
        "ClientSession(result)",
        "CountWorkflows",
        "SearchAttributes",
        "DescribeSchedule",
        "ListSchedules",
    },
    "worker": {"Connect", "Register", "CheckTasks", "AnswerQuery", "GetClusterInfo", "GetHistory"},
}


async def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "goblins",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**clean, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def add_token(path: pathlib.Path, role: str, *extra: str) -> str:
    """``goblins auth add-token`` in this process (the subprocess is tried once, below): its token."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["auth", "add-token", str(path), "--role", role, *extra]) == 0
    return out.getvalue().strip()


async def test_add_token_prints_exactly_one_token(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "auth.toml"
    code, out, err = await run_cli("auth", "add-token", str(path), "--role", "client", "--name", "ci")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 and len(lines[0]) >= 40, out  # exactly the token, nothing else on stdout
    assert out == lines[0] + "\n"
    assert "'ci'" in err and lines[0] not in err
    assert lines[0] not in path.read_text()


@pytest.fixture
async def tokens(tmp_path: pathlib.Path) -> dict[str, str]:
    path = tmp_path / "auth.toml"
    made = {role: add_token(path, role, "--name", role) for role in ROLES}
    made["limited"] = add_token(path, "worker", "--name", "limited", "--workflows", "greeting", "--activities", "greet")
    return made


@pytest.fixture
async def secured(tmp_path: pathlib.Path, tokens: dict[str, str]) -> AsyncIterator[str]:
    srv = Server(
        f"sqlite:///{tmp_path / 'goblins.db'}",
        "127.0.0.1",
        0,
        authorizer=StaticTokens.load(tmp_path / "auth.toml"),
    )
    await srv.start()
    try:
        yield f"127.0.0.1:{srv.port}"
    finally:
        await srv.stop(grace=0)


# ---- every RPC, as a raw call: its status code (OK when it answered) ----

Stub = Any
Attempt = Callable[[Stub], Awaitable[grpc.StatusCode]]


async def unary(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def connect(stub: Stub, workflows: list[str] = ["greeting"], activities: list[str] = []) -> grpc.StatusCode:  # noqa: B006
    async def hello() -> AsyncIterator[pb.WorkerMessage]:
        yield pb.WorkerMessage(hello=pb.Hello(worker_id="probe", workflows=workflows, activities=activities))
        await asyncio.sleep(30)

    call = stub.Connect(hello())
    try:
        async for _ in call:
            return grpc.StatusCode.OK  # the session's first message: registered and connected
        return await call.code()  # type: ignore[no-any-return]
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    finally:
        call.cancel()


async def client_session(stub: Stub, kind: str) -> grpc.StatusCode:
    request = pb.ClientRequest(id=1)
    if kind == "start":
        request.start.CopyFrom(pb.StartWorkflowRequest(workflow_name="greeting", input=b"[]"))
    else:
        request.result.CopyFrom(pb.GetResultRequest(run_id="nope", wait=0))

    async def requests() -> AsyncIterator[pb.ClientRequests]:
        yield pb.ClientRequests(requests=[request])
        await asyncio.sleep(30)

    call = stub.ClientSession(requests())
    try:
        async for batch in call:
            return grpc.StatusCode.OK if not batch.replies[0].code else _CODES[batch.replies[0].code]
        return await call.code()  # type: ignore[no-any-return]
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    finally:
        call.cancel()


_CODES = {c.value[0]: c for c in grpc.StatusCode}
T = 5.0
RPCS: dict[str, Attempt] = {
    "StartWorkflow": lambda s: unary(s.StartWorkflow(pb.StartWorkflowRequest(workflow_name="greeting"), timeout=T)),
    "GetResult": lambda s: unary(s.GetResult(pb.GetResultRequest(run_id="nope"), timeout=T)),
    "GetHistory": lambda s: unary(s.GetHistory(pb.GetHistoryRequest(run_id="nope"), timeout=T)),
    "DescribeWorkflow": lambda s: unary(s.DescribeWorkflow(pb.DescribeWorkflowRequest(run_id="nope"), timeout=T)),
    "ListWorkflows": lambda s: unary(s.ListWorkflows(pb.ListWorkflowsRequest(), timeout=T)),
    "Connect": connect,
    "GetClusterInfo": lambda s: unary(s.GetClusterInfo(pb.ClusterInfoRequest(), timeout=T)),
    "Signal": lambda s: unary(s.Signal(pb.SignalWorkflow(run_id="nope", name="s"), timeout=T)),
    "Cancel": lambda s: unary(s.Cancel(pb.CancelWorkflow(run_id="nope"), timeout=T)),
    "Cancel(terminate)": lambda s: unary(s.Cancel(pb.CancelWorkflow(run_id="nope", terminate=True), timeout=T)),
    "Query": lambda s: unary(s.Query(pb.QueryRequest(run_id="nope", name="q"), timeout=T)),
    "UpdateWorkflow": lambda s: unary(
        s.UpdateWorkflow(pb.UpdateWorkflowRequest(run_id="nope", name="u", update_id="i"), timeout=T)
    ),
    "ResetWorkflow": lambda s: unary(s.ResetWorkflow(pb.ResetWorkflowRequest(run_id="nope", to_seq=1), timeout=T)),
    "AnswerQuery": lambda s: unary(s.AnswerQuery(pb.QueryAnswer(query_id="nope"), timeout=T)),
    "Register": lambda s: unary(s.Register(pb.Hello(worker_id="probe", workflows=["greeting"]), timeout=T)),
    "CheckTasks": lambda s: unary(s.CheckTasks(pb.CheckTasksRequest(), timeout=T)),
    "ClientSession(start)": lambda s: client_session(s, "start"),
    "ClientSession(result)": lambda s: client_session(s, "result"),
    "ListWorkers": lambda s: unary(s.ListWorkers(pb.ListWorkersRequest(), timeout=T)),
    "CompleteActivity": lambda s: unary(
        s.CompleteActivity(pb.CompleteActivityRequest(task_token=b"nope", ok=True), timeout=T)
    ),
    "SetTaskQueue": lambda s: unary(s.SetTaskQueue(pb.TaskQueueConfig(name="q_auth"), timeout=T)),
    "ListTaskQueues": lambda s: unary(s.ListTaskQueues(pb.ListTaskQueuesRequest(), timeout=T)),
    "CountWorkflows": lambda s: unary(s.CountWorkflows(pb.CountWorkflowsRequest(), timeout=T)),
    "SearchAttributes": lambda s: unary(s.SearchAttributes(pb.SearchAttributesRequest(), timeout=T)),
    "SearchAttributes(declare)": lambda s: unary(
        s.SearchAttributes(pb.SearchAttributesRequest(name="probe", type="keyword"), timeout=T)
    ),
    "ScheduleCommand": lambda s: unary(
        s.ScheduleCommand(pb.ScheduleCommandRequest(schedule_id="nope", command="pause"), timeout=T)
    ),
    "DescribeSchedule": lambda s: unary(s.DescribeSchedule(pb.DescribeScheduleRequest(schedule_id="nope"), timeout=T)),
    "ListSchedules": lambda s: unary(s.ListSchedules(pb.ListSchedulesRequest(), timeout=T)),
}


def test_the_table_tries_every_rpc() -> None:
    from goblins.api.v1 import service_pb2

    rpcs = {m.name for m in service_pb2.DESCRIPTOR.services_by_name["Goblins"].methods}
    assert {name.partition("(")[0] for name in RPCS} == rpcs


@contextlib.asynccontextmanager
async def stub_for(address: str, token: str | None) -> AsyncIterator[Stub]:
    channel = open_channel(address, token=token)
    try:
        yield pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
    finally:
        await channel.close()


REFUSALS = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.parametrize("who", ["nobody", "wrong", *ROLES])
async def test_every_rpc_for_each_caller(secured: str, tokens: dict[str, str], who: str) -> None:
    token = {"nobody": None, "wrong": "not-a-token-" + "x" * 32}.get(who, tokens.get(who))
    wrong: list[str] = []
    async with stub_for(secured, token) as stub:
        for name, attempt in RPCS.items():
            code = await attempt(stub)
            if who in ("nobody", "wrong"):
                expected = "UNAUTHENTICATED"
            elif who == "admin" or name in ALLOWED[who]:
                expected = "admitted"
            else:
                expected = "PERMISSION_DENIED"
            got = "admitted" if code not in REFUSALS else code.name
            if got != expected:
                wrong.append(f"{name}: expected {expected}, got {code.name}")
    assert not wrong, f"{who}: " + "; ".join(wrong)


async def test_a_worker_limited_to_names_cannot_register_others(secured: str, tokens: dict[str, str]) -> None:
    async with stub_for(secured, tokens["limited"]) as stub:
        assert await connect(stub, ["greeting"], ["greet"]) == grpc.StatusCode.OK
        assert await connect(stub, ["greeting", "checkout"], []) == grpc.StatusCode.PERMISSION_DENIED
        assert await connect(stub, [], ["price"]) == grpc.StatusCode.PERMISSION_DENIED
        ok = pb.Hello(worker_id="probe", workflows=["greeting"], activities=["greet"])
        assert await unary(stub.Register(ok, timeout=T)) == grpc.StatusCode.OK
        other = pb.Hello(worker_id="probe", workflows=["checkout"])
        try:
            await stub.Register(other, timeout=T)
            raise AssertionError("registered a name it is not given")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.PERMISSION_DENIED
            assert exc.details() == (
                "permission denied: 'limited' (role worker) may not register workflow 'checkout' "
                "(its workflow names: greeting)"
            )
    # The SDK's worker stops with the reason instead of reconnecting forever.
    worker = goblins.Worker(secured, workflows=[w.greeting, w.checkout], activities=[w.greet], token=tokens["limited"])
    with pytest.raises(goblins.PermissionDenied, match="may not register workflow 'checkout'"):
        await asyncio.wait_for(worker.run(), 10)


async def test_workflows_run_with_tokens_and_refusals_are_typed(secured: str, tokens: dict[str, str]) -> None:
    worker = goblins.Worker(
        secured, workflows=[w.greeting, p.shopping_cart], activities=[w.greet, p.note], token=tokens["worker"]
    )
    running = asyncio.create_task(worker.run())
    try:
        await worker.wait_connected(10)
        async with await goblins.Client.connect(secured, token=tokens["client"]) as client:
            assert await client.execute_workflow(w.greeting, "auth", timeout=20) == "Hello auth"
            cart = await client.start_workflow(p.shopping_cart)
            await cart.signal("add", "apple")
            await cart.signal("add", "checkout")
            assert await cart.result(timeout=20) == ["apple"]
            # the worker answers the query with its own token, to the server's address
            assert await cart.query("items") == ["apple"]
        async with await goblins.Client.connect(secured, token=tokens["reader"]) as reader:
            assert await reader.get_workflow_handle(cart.run_id).result(timeout=5) == ["apple"]
            with pytest.raises(goblins.PermissionDenied, match="'reader' \\(role reader\\) may not start workflows"):
                await reader.start_workflow(w.greeting, "no")
            with pytest.raises(goblins.PermissionDenied, match=r"may not .*terminate runs"):
                await reader.get_workflow_handle(cart.run_id).terminate()
        async with await goblins.Client.connect(secured, token="") as anonymous:  # "": no token
            with pytest.raises(goblins.Unauthenticated, match="requires a token"):
                await anonymous.get_workflow_handle(cart.run_id).result(timeout=5)
            with pytest.raises(goblins.Unauthenticated):
                await anonymous.list_workflows()
    finally:
        await worker.shutdown()
        await asyncio.wait_for(running, 10)
    wrong = goblins.Worker(secured, workflows=[w.greeting], token="forged")
    with pytest.raises(goblins.Unauthenticated, match="not one this server knows"):
        await asyncio.wait_for(wrong.run(), 10)


async def test_the_auth_file_holds_hashes_only(tmp_path: pathlib.Path, tokens: dict[str, str]) -> None:
    import hashlib

    path = tmp_path / "auth.toml"
    text = path.read_text()
    for token in tokens.values():
        assert token not in text
        assert hashlib.sha256(token.encode()).hexdigest() in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(set(tokens.values())) == len(tokens)


async def test_cli_refusals_are_one_line(secured: str, tokens: dict[str, str]) -> None:
    code, out, err = await run_cli("workflow", "list", "--server", secured)
    line = one_line_error(code, err)
    assert "unauthenticated: this server requires a token (set GOBLINS_TOKEN" in line
    reader = {"GOBLINS_TOKEN": tokens["reader"]}
    code, out, err = await run_cli("workflow", "list", "--server", secured, env=reader)
    assert code == 0, err
    code, out, err = await run_cli("workflow", "start", "greeting", "--input", '"x"', "--server", secured, env=reader)
    assert one_line_error(code, err) == "goblins: permission denied: 'reader' (role reader) may not start workflows"
    assert out == ""


async def test_server_refuses_a_bad_auth_file_at_start(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "auth.toml"
    bad.write_text('[[principal]]\nname = "ci"\nrole = "root"\ntoken_sha256 = "00"\n')
    code, _, err = await run_cli("server", "--port", "0", "--db", str(tmp_path / "g.db"), "--auth", str(bad))
    line = one_line_error(code, err)
    assert "principal #1 ('ci'): key 'role': expected one of admin, client, reader, worker, got 'root'" in line


async def test_cli_worker_with_a_refused_token_stops_with_one_line(secured: str, tokens: dict[str, str]) -> None:
    code, _, err = await run_cli(
        "worker", "tests.integration.primitives", "--server", secured, env={"GOBLINS_TOKEN": tokens["reader"]}
    )
    lines = [line for line in err.strip().splitlines() if line.startswith("goblins: ")]  # not its banner, logs
    assert code != 0 and "Traceback" not in err, err
    assert lines == ["goblins: permission denied: 'reader' (role reader) may not read the cluster's transport settings"]


class ClaimsAuthorizer:
    """A stand-in for a JWT authorizer: the seam takes any object with ``authenticate``."""

    def authenticate(self, caller: Caller) -> Principal:
        if caller.token == "boom":
            raise RuntimeError("key set not loaded")
        if caller.token is None or not caller.token.startswith("jwt."):
            raise goblins.Unauthenticated("unauthenticated: expected a JWT")
        return Principal(caller.token.removeprefix("jwt."), "reader")


async def test_a_custom_authorizer(tmp_path: pathlib.Path) -> None:
    srv = Server(f"sqlite:///{tmp_path / 'g.db'}", "127.0.0.1", 0, authorizer=ClaimsAuthorizer())
    await srv.start()
    address = f"127.0.0.1:{srv.port}"
    try:
        async with await goblins.Client.connect(address, token="jwt.alice") as alice:
            assert await alice.list_workflows() == []
            with pytest.raises(goblins.PermissionDenied, match="'alice' \\(role reader\\) may not start"):
                await alice.start_workflow("greeting")
        async with await goblins.Client.connect(address, token="opaque") as other:
            with pytest.raises(goblins.Unauthenticated, match="expected a JWT"):
                await other.list_workflows()
        async with await goblins.Client.connect(address, token="boom") as broken:  # refused, not let through
            with pytest.raises(goblins.GoblinsError, match="the authorizer failed: key set not loaded"):
                await broken.list_workflows()
    finally:
        await srv.stop(grace=0)
