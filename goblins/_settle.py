"""How history events settle a workflow's awaits, and the command an error ends a run with.

Part of the replay core (goblins._runtime), kept apart for its size. No I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from goblins import converter
from goblins._envelope import PayloadCodec
from goblins._local_activity import LocalBackoff
from goblins.api import v1 as pb
from goblins.errors import ActivityFailed, ApplicationError, ChildWorkflowFailed, CodecError, describe, stack_trace
from goblins.history import (
    ACTIVITY_FAILED,
    ACTIVITY_SUCCEEDED,
    CHILD_COMPLETED,
    CHILD_FAILED,
    LOCAL_ACTIVITY_RECORDED,
    TIMER_FIRED,
)


def _fail_workflow(exc: BaseException, codec: PayloadCodec | None = None) -> pb.FailWorkflow:
    """The command that ends the run with ``exc``: its description, traceback and details."""
    error_type, error = describe(exc)
    failure = pb.FailWorkflow(error_type=error_type, error=error, stack_trace=stack_trace(exc))
    details = exc.details if isinstance(exc, (ApplicationError, ActivityFailed)) else ()
    if details:  # a SerializationError here is a bug of the code: it fails the task
        failure.error_details = converter.encode(list(details), "ApplicationError details", codec)
    return failure


def _error_details(payload: bytes, codec: PayloadCodec | None) -> tuple[Any, ...]:
    """The ApplicationError details a failure carries (empty: none, or unreadable)."""
    if not payload:
        return ()
    try:
        details = converter.decode(payload, codec=codec)
    except CodecError:
        raise  # no key here: the task fails (the details would differ on a worker with the key)
    except Exception:
        return ()
    return tuple(details) if isinstance(details, list) else (details,)


def _set_output(future: asyncio.Future[Any], output: bytes, hint: Any, codec: PayloadCodec | None) -> None:
    try:
        future.set_result(converter.decode(output, hint, codec))
    except CodecError:
        raise  # not the workflow's to catch: the task fails, a worker with the key replays it
    except Exception as exc:
        future.set_exception(exc)


def _activity_failed(
    future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent, codec: PayloadCodec | None
) -> None:
    a = event.activity_finished_in_error
    details = _error_details(a.failure.details, codec)
    future.set_exception(ActivityFailed(a.activity_name, a.failure.type, a.failure.message, a.attempt, details))


def _child_failed(future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent, codec: PayloadCodec | None) -> None:
    c = event.child_workflow_failed
    future.set_exception(ChildWorkflowFailed(c.child_workflow_name, c.child_run_id, c.failure.type, c.failure.message))


def _local_recorded(future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent, codec: PayloadCodec | None) -> None:
    a = event.local_activity_recorded
    if a.backoff > 0:  # the attempts go on after a durable timer (goblins._local_activity.retries)
        future.set_exception(LocalBackoff(a.attempts, a.backoff))
    elif a.HasField("failure"):
        details = _error_details(a.failure.details, codec)
        future.set_exception(ActivityFailed(a.activity_name, a.failure.type, a.failure.message, a.attempts, details))
    else:
        _set_output(future, a.output, hint, codec)


_SETTLE: dict[int, Callable[[asyncio.Future[Any], Any, pb.HistoryEvent, PayloadCodec | None], None]] = {
    ACTIVITY_SUCCEEDED: lambda f, hint, e, c: _set_output(f, e.activity_finished_in_success.output, hint, c),
    CHILD_COMPLETED: lambda f, hint, e, c: _set_output(f, e.child_workflow_completed.output, hint, c),
    TIMER_FIRED: lambda f, hint, e, c: f.set_result(None),
    ACTIVITY_FAILED: _activity_failed,
    CHILD_FAILED: _child_failed,
    LOCAL_ACTIVITY_RECORDED: _local_recorded,
}
"""How each kind that ends a step settles the workflow's await of it."""
