"""Payloads are checked where they enter: a bad one is refused at the call, never recorded (issue 10)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from goblins._proto import goblins_pb2 as pb
from goblins._proto import goblins_pb2_grpc as pb_grpc

BAD = [(b"not json", "not JSON"), (b'{"a": 1}', "JSON array"), (b"3", "JSON array")]


def calls(stub: Any, payload: bytes) -> list[tuple[str, Any]]:
    return [
        ("start", stub.StartWorkflow(pb.StartWorkflowRequest(workflow_name="w", input=payload))),
        ("signal", stub.Signal(pb.SignalWorkflow(run_id="r", name="s", input=payload))),
        ("query", stub.Query(pb.QueryRequest(run_id="r", name="q", input=payload))),
    ]


@pytest.mark.parametrize(("payload", "why"), BAD, ids=["not-json", "object", "number"])
async def test_a_payload_that_is_not_an_argument_list_is_refused_naming_the_field(
    address: str, payload: bytes, why: str
) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.GoblinsStub(channel)  # type: ignore[no-untyped-call]
        for verb, call in calls(stub, payload):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, verb
            details = info.value.details() or ""
            assert "input" in details and why in details, (verb, details)
