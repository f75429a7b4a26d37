"""Functions that workflow code calls."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from goblins import converter
from goblins._runtime import ContinueAsNew, current_instance
from goblins.retry import RetryPolicy

T = TypeVar("T")


def execute_activity(
    activity: Callable[..., Any] | str,
    *args: Any,
    retry_policy: RetryPolicy | None = None,
    start_to_close_timeout: float | None = None,
    heartbeat_timeout: float | None = None,
    schedule_to_close_timeout: float | None = None,
) -> asyncio.Future[Any]:
    """Schedule an activity from workflow code; await the result.

    ``activity`` is an ``@goblins.activity`` function or its registered name. The arguments
    must be JSON-serializable (dataclasses and pydantic models are). The server retries a
    failed attempt according to ``retry_policy`` (default: 3 attempts, back-off from 1 s);
    ``start_to_close_timeout`` (seconds) bounds one attempt; ``heartbeat_timeout`` times out an
    attempt that stops calling ``goblins.heartbeat`` for that long; ``schedule_to_close_timeout``
    bounds all attempts together. When the attempts are exhausted, awaiting raises
    :class:`goblins.ActivityFailed`.

    The step is scheduled when this is called, so ``asyncio.gather(execute_activity(a),
    execute_activity(b))`` runs both in parallel.
    """
    return current_instance("execute_activity").schedule_activity(
        activity, args, retry_policy, start_to_close_timeout, heartbeat_timeout, schedule_to_close_timeout
    )


async def sleep(duration: float | datetime.timedelta) -> None:
    """Wait durably inside a workflow: a server-side timer that survives any crash.

    The run holds no worker while it sleeps; a restarted server neither loses nor repeats the
    timer. ``duration`` is seconds or a ``datetime.timedelta``.
    """
    seconds = duration.total_seconds() if isinstance(duration, datetime.timedelta) else duration
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds or seconds < 0:
        raise ValueError(f"goblins.sleep() takes seconds >= 0 or a timedelta, got {duration!r}")
    instance = current_instance("sleep")
    if seconds == 0:
        return
    await instance.start_timer(float(seconds))


async def wait_for_signal(name: str, timeout: float | datetime.timedelta | None = None) -> Any:
    """The payload of the next signal called ``name`` sent to this run.

    Signals that arrive before the workflow waits are kept, in order. A signal sent with one
    argument returns it; with several, their list; with none, None. With ``timeout``, raises
    ``TimeoutError`` if no such signal arrives in time (a durable timer).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"goblins.wait_for_signal() takes a signal name (non-empty str), got {name!r}")
    instance = current_instance("wait_for_signal")
    signal = instance.signal_future(name)
    if timeout is None or signal.done():
        return await signal
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
    timer = instance.start_timer(float(seconds))
    await asyncio.wait({signal, timer}, return_when=asyncio.FIRST_COMPLETED)
    if signal.done():
        return signal.result()
    signal.cancel()  # a later signal of this name goes to the next waiter, or is kept
    raise TimeoutError(f"no signal {name!r} within {seconds:g}s")


def now() -> datetime.datetime:
    """The workflow's current time (UTC): the time of the newest event it has seen.

    Use it instead of ``datetime.now()``: it is the same when the run is replayed.
    """
    return datetime.datetime.fromtimestamp(current_instance("now").now, datetime.UTC)


def random() -> float:
    """A random float in [0, 1), the same on replay (seeded by the run)."""
    return current_instance("random").random.random()


def uuid4() -> uuid.UUID:
    """A random UUID, the same on replay (drawn from the run's seeded generator)."""
    return uuid.UUID(int=current_instance("uuid4").random.getrandbits(128), version=4)


class ChildWorkflowHandle:
    """A child workflow started by ``goblins.start_workflow`` inside a workflow."""

    def __init__(self, run_id: str, result: asyncio.Future[Any]) -> None:
        self.run_id = run_id
        self._result = result

    async def result(self) -> Any:
        """The child's return value; raises goblins.ChildWorkflowFailed if it failed."""
        return await self._result


async def start_workflow(
    workflow: Callable[..., Any] | str, *args: Any, run_id: str | None = None
) -> ChildWorkflowHandle:
    """Start a child workflow from workflow code (``run_id`` defaults to a deterministic one).

    Cancelling the parent cancels its running children.
    """
    child_run_id, result = current_instance("start_workflow").start_child(workflow, args, run_id)
    return ChildWorkflowHandle(child_run_id, result)


async def execute_workflow(workflow: Callable[..., Any] | str, *args: Any, run_id: str | None = None) -> Any:
    """Run a child workflow from workflow code and return its result.

    A child that fails raises :class:`goblins.ChildWorkflowFailed` in the parent.
    """
    handle = await start_workflow(workflow, *args, run_id=run_id)
    return await handle.result()


def continue_as_new(*args: Any) -> NoReturn:
    """End this run and start the same workflow afresh with ``args`` (a new, empty history).

    For long-lived workflows (a loop that runs for months): the history stays short. The new
    run's id is this one's with ``~2``, ``~3``, ... appended; ``WorkflowHandle.result()`` on the
    first run follows the chain to its end. A BaseException, so ``except Exception`` in the
    workflow does not swallow it.
    """
    instance = current_instance("continue_as_new")
    raise ContinueAsNew(converter.encode_args(args, f"continue_as_new of workflow {instance.definition.name!r}"))


def set_query_handler(name: str, handler: Callable[..., Any]) -> None:
    """Let clients read this run's state: ``await handle.query(name, *args)`` calls ``handler``.

    The handler is a plain (not async) function; it runs on a worker against the state the
    run has reached, and nothing is recorded in the history.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"query name must be a non-empty str, got {name!r}")
    if not callable(handler):
        raise TypeError(f"query handler must be callable, got {handler!r}")
    current_instance("set_query_handler").query_handlers[name] = handler
