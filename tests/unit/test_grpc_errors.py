"""One mapping from exceptions to gRPC status codes: request errors keep their meaning, a store
outage is UNAVAILABLE, anything else is a bug: INTERNAL, logged with its stack trace."""

from __future__ import annotations

import logging
from typing import Any

import grpc
import pytest

from goblins.errors import StoreConflict, StoreUnavailable
from goblins.server.grpc import mapped, status_of
from goblins.server.ports import WorkersElsewhere
from goblins.server.runs import DeadlineExceeded, FailedPrecondition, InvalidArgument, NotFound


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InvalidArgument("a signal needs a name"), grpc.StatusCode.INVALID_ARGUMENT),
        (NotFound("no workflow run with id 'x'"), grpc.StatusCode.NOT_FOUND),
        (FailedPrecondition("workflow run x has already finished"), grpc.StatusCode.FAILED_PRECONDITION),
        (WorkersElsewhere("this server's workers use Kafka"), grpc.StatusCode.FAILED_PRECONDITION),
        (DeadlineExceeded("no worker answered"), grpc.StatusCode.DEADLINE_EXCEEDED),
        (StoreUnavailable("cassandra: NoHostAvailable"), grpc.StatusCode.UNAVAILABLE),
    ],
)
def test_known_errors_keep_their_meaning(exc: Exception, code: grpc.StatusCode) -> None:
    got, details = status_of(exc, "Call")
    assert got == code
    assert str(exc) in details


def test_a_bug_is_internal_and_logged_with_its_stack(caplog: pytest.LogCaptureFixture) -> None:
    try:
        {}["missing"]
    except KeyError as exc:
        with caplog.at_level(logging.ERROR, "goblins.server"):
            code, details = status_of(exc, "Signal")
    assert code == grpc.StatusCode.INTERNAL and "KeyError" in details
    assert "unavailable" not in details
    (record,) = [r for r in caplog.records if r.name == "goblins.server"]
    assert record.exc_info is not None and "Signal" in record.getMessage()


def test_a_store_conflict_is_a_goblins_error_but_not_an_outage() -> None:
    code, _ = status_of(StoreConflict("another server wrote it"), "Call")
    assert code == grpc.StatusCode.INTERNAL


class _Aborted(Exception):
    pass


class _Context:
    def __init__(self) -> None:
        self.code: grpc.StatusCode | None = None

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        self.code = code
        raise _Aborted(details)


async def test_handlers_answer_through_the_mapping() -> None:
    class Service:
        @mapped
        async def Broken(self, request: Any, context: Any) -> None:
            raise StoreUnavailable("sqlite: database is locked")

    context = _Context()
    with pytest.raises(_Aborted, match="event store unavailable"):
        await Service().Broken(None, context)
    assert context.code == grpc.StatusCode.UNAVAILABLE
