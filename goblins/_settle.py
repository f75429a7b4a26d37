"""How history events settle a workflow's awaits, and the command an error ends a run with.

Part of the replay core (goblins._runtime), kept apart for its size. No I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from goblins import converter
from goblins.api import v1 as pb
from goblins.errors import ActivityFailed, ApplicationError, ChildWorkflowFailed, describe, stack_trace
from goblins.history import ACTIVITY_FAILED, ACTIVITY_SUCCEEDED, CHILD_COMPLETED, CHILD_FAILED, TIMER_FIRED


def _fail_workflow(exc: BaseException) -> pb.FailWorkflow:
    """The command that ends the run with ``exc``: its description, traceback and details."""
    error_type, error = describe(exc)
    failure = pb.FailWorkflow(error_type=error_type, error=error, stack_trace=stack_trace(exc))
    details = exc.details if isinstance(exc, (ApplicationError, ActivityFailed)) else ()
    if details:  # a SerializationError here is a bug of the code: it fails the task
        failure.error_details = converter.encode(list(details), "ApplicationError details")
    return failure


def _error_details(payload: bytes) -> tuple[Any, ...]:
    """The ApplicationError details a failure carries (empty: none, or unreadable)."""
    if not payload:
        return ()
    try:
        details = converter.decode(payload)
    except Exception:
        return ()
    return tuple(details) if isinstance(details, list) else (details,)


def _set_output(future: asyncio.Future[Any], output: bytes, hint: Any) -> None:
    try:
        future.set_result(converter.decode(output, hint))
    except Exception as exc:
        future.set_exception(exc)


def _activity_failed(future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent) -> None:
    a = event.activity_finished_in_error
    details = _error_details(a.failure.details)
    future.set_exception(ActivityFailed(a.activity_name, a.failure.type, a.failure.message, a.attempt, details))


def _child_failed(future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent) -> None:
    c = event.child_workflow_failed
    future.set_exception(ChildWorkflowFailed(c.child_workflow_name, c.child_run_id, c.failure.type, c.failure.message))


_SETTLE: dict[int, Callable[[asyncio.Future[Any], Any, pb.HistoryEvent], None]] = {
    ACTIVITY_SUCCEEDED: lambda f, hint, e: _set_output(f, e.activity_finished_in_success.output, hint),
    CHILD_COMPLETED: lambda f, hint, e: _set_output(f, e.child_workflow_completed.output, hint),
    TIMER_FIRED: lambda f, hint, e: f.set_result(None),
    ACTIVITY_FAILED: _activity_failed,
    CHILD_FAILED: _child_failed,
}
"""How each kind that ends a step settles the workflow's await of it."""
