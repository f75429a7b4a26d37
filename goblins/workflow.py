"""What workflow code uses: the ``defn`` decorator and the functions a workflow calls.

``@goblins.workflow`` is ``@goblins.workflow.defn``: this module is callable (see
:mod:`goblins._module`). Everything here except ``defn`` works only inside a running
workflow and raises :class:`goblins.GoblinsError` elsewhere. (A client starts top-level runs
with ``goblins.Client``; a workflow starts children with :func:`start_child`.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import functools
import sys
import types
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Generic, NoReturn, ParamSpec, TypeVar, TypeVarTuple, Unpack, overload

from goblins import _workflow_search, converter
from goblins._client_search import start_fields
from goblins._definitions import define_workflow
from goblins._duration import optional_seconds, seconds
from goblins._handler_defs import Query, Update, handler_name
from goblins._local_activity import retries
from goblins._logger import workflow_logger as logger
from goblins._module import Exported
from goblins._options import ActivityOptions, ChildWorkflowOptions
from goblins._runtime import ContinueAsNew, current_instance
from goblins._updates import UpdateHandler
from goblins.retry import RetryPolicy

__all__ = [
    "ActivityOptions",
    "ChildWorkflowHandle",
    "ChildWorkflowOptions",
    "Query",
    "Update",
    "WorkflowInfo",
    "continue_as_new",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_child",
    "execute_local_activity",
    "info",
    "logger",
    "now",
    "patched",
    "random",
    "set_query_handler",
    "set_update_handler",
    "sleep",
    "start_child",
    "upsert_search_attributes",
    "uuid4",
    "wait_for_signal",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
Ts = TypeVarTuple("Ts")


@overload
def defn(fn: F, *, name: str | None = None, failure_exception_types: Iterable[type[BaseException]] = ()) -> F: ...
@overload
def defn(
    fn: None = None, *, name: str | None = None, failure_exception_types: Iterable[type[BaseException]] = ()
) -> Callable[[F], F]: ...
def defn(
    fn: Any = None, *, name: str | None = None, failure_exception_types: Iterable[type[BaseException]] = ()
) -> Any:
    """Mark an ``async def`` function as a workflow.

    Use as ``@goblins.workflow`` or ``@goblins.workflow(name="greet")`` (``.defn`` may be
    spelled out). Workflow code must be deterministic: it calls activities for anything that
    touches the outside world. The function stays callable as before.

    What ends the run in error: ``goblins.ApplicationError``, an activity or child failure
    the code does not catch, cancellation, and the exception types listed in
    ``failure_exception_types`` (subclasses included). Any other exception is taken for a bug:
    it fails the *workflow task*, which the server retries with back-off, so that the run
    resumes once a worker with fixed code picks it up.
    """
    types = tuple(failure_exception_types)
    if fn is not None:
        return define_workflow(fn, name, types)
    return lambda f: define_workflow(f, name, types)


@dataclasses.dataclass(frozen=True)
class WorkflowInfo:
    """The run whose code is running."""

    run_id: str
    workflow_name: str
    search_attributes: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The run's search attributes: its start's, then its own upserts (docs/search.md)."""
    memo: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def info() -> WorkflowInfo:
    """The running workflow's run id, registered name, search attributes and memo."""
    instance = current_instance("workflow.info")
    attributes = dict(_workflow_search.current(instance))
    return WorkflowInfo(instance.run_id, instance.definition.name, attributes, _workflow_search.memo(instance))


def upsert_search_attributes(attributes: Mapping[str, Any]) -> None:
    """Set (or, with None, remove) some of this run's search attributes: recorded in its history
    (SEARCH_ATTRIBUTES_UPSERTED), indexed for ``Client.list_workflows(query=...)``. Values are
    str, int, float, bool or aware datetimes, of each attribute's declared type (docs/search.md);
    a value of another type fails the workflow task, naming the attribute."""
    _workflow_search.upsert(current_instance("workflow.upsert_search_attributes"), attributes)


# The typed signatures (docs/typing.md): an activity function fixes the arguments' types and
# count (PEP 646: any number, in one overload) and the result's type; a name is unchecked. The
# keyword options are ActivityOptions' (goblins/_options.py), declared once.
@overload
def execute_activity(
    activity: Callable[[*Ts], Awaitable[T]], *args: *Ts, **options: Unpack[ActivityOptions]
) -> asyncio.Future[T]: ...
@overload
def execute_activity(
    activity: Callable[[*Ts], T], *args: *Ts, **options: Unpack[ActivityOptions]
) -> asyncio.Future[T]: ...
@overload
def execute_activity(activity: str, *args: Any, **options: Unpack[ActivityOptions]) -> asyncio.Future[Any]: ...
def execute_activity(
    activity: Callable[[*Ts], Any] | str,
    *args: *Ts,
    retry_policy: RetryPolicy | None = None,
    start_to_close_timeout: float | datetime.timedelta | None = None,
    heartbeat_timeout: float | datetime.timedelta | None = None,
    schedule_to_close_timeout: float | datetime.timedelta | None = None,
    task_queue: str | None = None,
    priority: int | None = None,
    concurrency_key: str | None = None,
) -> asyncio.Future[Any]:
    """Schedule an activity; await the returned future for its result.

    ``activity`` is an ``@goblins.activity`` function or its registered name. The arguments
    must be JSON-serializable (dataclasses and pydantic models are). The server retries a
    failed attempt according to ``retry_policy`` (default: 3 attempts, back-off from 1 s).
    The timeouts take seconds or a ``datetime.timedelta`` (None: no bound):
    ``start_to_close_timeout`` bounds one attempt; ``heartbeat_timeout`` times out an attempt
    that stops calling ``goblins.activity.heartbeat`` for that long;
    ``schedule_to_close_timeout`` bounds all attempts together. When the attempts are
    exhausted, awaiting raises :class:`goblins.ActivityFailed`.

    The step is scheduled when this is called, so ``asyncio.gather(execute_activity(a),
    execute_activity(b))`` runs both in parallel.

    ``task_queue`` (default: the workflow's), ``priority`` (1 lowest to 5 highest; default: the
    workflow's, else 3) and ``concurrency_key`` (at most the queue's ``max_per_key`` in flight
    per key): see docs/task-queues.md.
    """
    return current_instance("workflow.execute_activity").schedule_activity(
        activity,
        args,
        retry_policy,
        optional_seconds(start_to_close_timeout, "start_to_close_timeout", zero=False),
        optional_seconds(heartbeat_timeout, "heartbeat_timeout", zero=False),
        optional_seconds(schedule_to_close_timeout, "schedule_to_close_timeout", zero=False),
        flow=(task_queue, priority, concurrency_key),
    )


@overload
def execute_local_activity(
    activity: Callable[[*Ts], Awaitable[T]],
    *args: *Ts,
    start_to_close_timeout: float | datetime.timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
) -> asyncio.Future[T]: ...
@overload
def execute_local_activity(
    activity: Callable[[*Ts], T],
    *args: *Ts,
    start_to_close_timeout: float | datetime.timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
) -> asyncio.Future[T]: ...
@overload
def execute_local_activity(
    activity: str,
    *args: Any,
    start_to_close_timeout: float | datetime.timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
) -> asyncio.Future[Any]: ...
def execute_local_activity(
    activity: Callable[[*Ts], Any] | str,
    *args: *Ts,
    start_to_close_timeout: float | datetime.timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
) -> asyncio.Future[Any]:
    """Run a short activity inside this workflow task, on this worker; await its result.

    No round trip through the server: the worker runs the activity (registered on it like any
    activity) while it holds the workflow task, and the task's completion records the outcome
    as one LOCAL_ACTIVITY_RECORDED event. Replay reads that event and runs nothing. Failed
    attempts are retried by ``retry_policy`` (default: 3 attempts, back-off from 1 s): a
    back-off of up to a second within the task, a longer one on a durable timer.

    The trade-off (docs/local-activities.md): if the worker dies before the task's
    completion is recorded, the activity runs again (at least once); no heartbeats, no
    cancellation; ``start_to_close_timeout`` is at most 5 s (default 5 s). Keep them short
    and idempotent; anything longer is a regular activity (:func:`execute_activity`).
    """
    instance = current_instance("workflow.execute_local_activity")
    timeout = optional_seconds(start_to_close_timeout, "start_to_close_timeout", zero=False)
    first = instance.local_activity(activity, args, retry_policy, timeout)  # the step is taken now
    return instance.create_task(retries(instance, first, activity, args, retry_policy, timeout))


async def sleep(duration: float | datetime.timedelta) -> None:
    """Wait durably: a server-side timer that survives any crash.

    The run holds no worker while it sleeps; a restarted server neither loses nor repeats the
    timer. ``duration`` is seconds or a ``datetime.timedelta``.
    """
    delay = seconds(duration, "duration")
    instance = current_instance("workflow.sleep")
    if delay == 0:
        return
    await instance.start_timer(delay)


async def wait_for_signal(name: str, timeout: float | datetime.timedelta | None = None) -> Any:
    """The payload of the next signal called ``name`` sent to this run.

    Signals that arrive before the workflow waits are kept, in order. A signal sent with one
    argument returns it; with several, their list; with none, None. With ``timeout`` (seconds
    or a ``datetime.timedelta``), raises ``TimeoutError`` if no such signal arrives in time (a
    durable timer).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"wait_for_signal() takes a signal name (non-empty str), got {name!r}")
    limit = optional_seconds(timeout, "timeout")
    instance = current_instance("workflow.wait_for_signal")
    signal = instance.signal_future(name)
    if limit is None or signal.done():
        return await signal
    timer = instance.start_timer(limit)
    await asyncio.wait({signal, timer}, return_when=asyncio.FIRST_COMPLETED)
    if signal.done():
        return signal.result()
    signal.cancel()  # a later signal of this name goes to the next waiter, or is kept
    raise TimeoutError(f"no signal {name!r} within {limit:g}s")


def now() -> datetime.datetime:
    """The workflow's current time (UTC): the time of the newest event it has seen.

    Use it instead of ``datetime.now()``: it is the same when the run is replayed.
    """
    return datetime.datetime.fromtimestamp(current_instance("workflow.now").now, datetime.UTC)


def random() -> float:
    """A random float in [0, 1), the same on replay (seeded by the run)."""
    return current_instance("workflow.random").random.random()


def uuid4() -> uuid.UUID:
    """A random UUID, the same on replay (drawn from the run's seeded generator)."""
    return uuid.UUID(int=current_instance("workflow.uuid4").random.getrandbits(128), version=4)


class ChildWorkflowHandle(Generic[T]):
    """A child workflow run started by :func:`start_child`."""

    def __init__(self, run_id: str, result: asyncio.Future[T]) -> None:
        self.run_id = run_id
        self._result = result

    async def result(self) -> T:
        """The child's return value; raises :class:`goblins.ChildWorkflowFailed` if it failed."""
        return await self._result


@overload
async def start_child(
    workflow: Callable[[*Ts], Awaitable[T]], *args: *Ts, **options: Unpack[ChildWorkflowOptions]
) -> ChildWorkflowHandle[T]: ...
@overload
async def start_child(
    workflow: str, *args: Any, **options: Unpack[ChildWorkflowOptions]
) -> ChildWorkflowHandle[Any]: ...
async def start_child(
    workflow: Callable[[*Ts], Awaitable[Any]] | str,
    *args: *Ts,
    run_id: str | None = None,
    task_queue: str | None = None,
    priority: int | None = None,
    search_attributes: Mapping[str, Any] | None = None,
    memo: Mapping[str, Any] | None = None,
) -> ChildWorkflowHandle[Any]:
    """Start a child workflow run (``run_id`` defaults to a deterministic one).

    Cancelling the parent cancels its running children. (``Client.start_workflow`` starts a
    top-level run, from outside any workflow.) ``task_queue`` and ``priority``: the parent's
    unless given (docs/task-queues.md). ``search_attributes`` and ``memo``: as for
    ``Client.start_workflow`` (docs/search.md).
    """
    instance = current_instance("workflow.start_child")
    extra = None
    if search_attributes or memo:
        extra = functools.partial(start_fields, search_attributes=search_attributes, memo=memo, codec=instance.codec)
    child_run_id, result = instance.start_child(workflow, args, run_id, (task_queue, priority), extra)
    return ChildWorkflowHandle(child_run_id, result)


@overload
async def execute_child(
    workflow: Callable[[*Ts], Awaitable[T]], *args: *Ts, **options: Unpack[ChildWorkflowOptions]
) -> T: ...
@overload
async def execute_child(workflow: str, *args: Any, **options: Unpack[ChildWorkflowOptions]) -> Any: ...
async def execute_child(
    workflow: Callable[[*Ts], Awaitable[Any]] | str,
    *args: *Ts,
    run_id: str | None = None,
    task_queue: str | None = None,
    priority: int | None = None,
    search_attributes: Mapping[str, Any] | None = None,
    memo: Mapping[str, Any] | None = None,
) -> Any:
    """Run a child workflow and return its result.

    A child that fails raises :class:`goblins.ChildWorkflowFailed` in the parent.
    """
    handle = await start_child(
        workflow,
        *args,
        run_id=run_id,
        task_queue=task_queue,
        priority=priority,
        search_attributes=search_attributes,
        memo=memo,
    )
    return await handle.result()


def continue_as_new(*args: Any) -> NoReturn:
    """End this run and start the same workflow afresh with ``args`` (a new, empty history).

    For long-lived workflows (a loop that runs for months): the history stays short. The new
    run's id is this one's with ``~2``, ``~3``, ... appended; ``WorkflowHandle.result()`` on the
    first run follows the chain to its end. A BaseException, so ``except Exception`` in the
    workflow does not swallow it.
    """
    instance = current_instance("workflow.continue_as_new")
    what = f"continue_as_new of workflow {instance.definition.name!r}"
    raise ContinueAsNew(converter.encode_args(args, what, instance.codec))


@overload
def set_query_handler(name: Query[P, T], handler: Callable[P, T]) -> None: ...
@overload
def set_query_handler(name: str, handler: Callable[..., Any]) -> None: ...
def set_query_handler(name: Query[P, T] | str, handler: Callable[..., Any]) -> None:
    """Let clients read this run's state: ``await handle.query(name, *args)`` calls ``handler``.

    The handler is a plain (not async) function; it runs on a worker against the state the
    run has reached, and nothing is recorded in the history. ``name``: a str, or a
    :class:`Query` (then a type checker checks the handler against its signature).
    """
    checked = handler_name(name, "query")
    if not callable(handler):
        raise TypeError(f"query handler must be callable, got {handler!r}")
    current_instance("workflow.set_query_handler").query_handlers[checked] = handler


def patched(patch_id: str) -> bool:
    """Whether this run takes the new code of a change named ``patch_id`` (versioning).

        if goblins.workflow.patched("send-sms"):
            await goblins.workflow.execute_activity(send_sms, order)     # new code
        else:
            await goblins.workflow.execute_activity(send_email, order)   # the code it replaces

    A run that reaches this point on code with the patch takes the new branch (True) and
    records a MARKER_RECORDED event; a run that went past this point before the patch was
    deployed replays without the marker and keeps the old branch (False), so it does not fail
    as nondeterministic. The answer is the same for every call with this id in one run. When
    no run of the old code is left, replace the call with :func:`deprecate_patch`, then remove
    it (docs/versioning.md walks through the three deploys).
    """
    return current_instance("workflow.patched").patched(patch_id)


def deprecate_patch(patch_id: str) -> None:
    """Mark ``patch_id`` as the only code path left (the second of the three deploys).

    Call it where ``patched(patch_id)`` was, and keep only the new branch: runs that recorded
    the patch's marker and runs that did not both replay. It records a deprecated marker in
    new runs; a later deploy may remove the call altogether.
    """
    current_instance("workflow.deprecate_patch").patched(patch_id, deprecated=True)


@overload
def set_update_handler(
    name: Update[P, T], handler: Callable[P, Awaitable[T]], validator: Callable[P, object] | None = None
) -> None: ...
@overload
def set_update_handler(
    name: Update[P, T], handler: Callable[P, T], validator: Callable[P, object] | None = None
) -> None: ...
@overload
def set_update_handler(name: str, handler: Callable[..., Any], validator: Callable[..., Any] | None = None) -> None: ...
def set_update_handler(
    name: Update[P, T] | str, handler: Callable[..., Any], validator: Callable[..., Any] | None = None
) -> None:
    """Let clients change this run and get an answer: ``await handle.execute_update(name, *args)``
    runs ``handler(*args)`` (a plain or an ``async`` function, which may call activities) and
    returns its result, or raises :class:`goblins.UpdateFailed` with its error. ``name``: a str,
    or an :class:`Update` (then a type checker checks the handler and the validator against its
    signature).

    ``validator`` (a plain function of the same arguments) runs first, on the worker holding the
    run, against the run's current state and without changing it: if it raises, the update is
    rejected (:class:`goblins.UpdateRejected`) and nothing is recorded. An accepted update is
    recorded in the history (UPDATE_ACCEPTED, then UPDATE_COMPLETED) and runs exactly once.
    """
    checked = handler_name(name, "update")
    if not callable(handler):
        raise TypeError(f"update handler must be callable, got {handler!r}")
    if validator is not None and not callable(validator):
        raise TypeError(f"update validator must be callable or None, got {validator!r}")
    instance = current_instance("workflow.set_update_handler")
    instance.update_handlers[checked] = UpdateHandler(handler, validator)


class _Module(types.ModuleType):
    """This module's type: ``@goblins.workflow`` calls ``defn`` (see :mod:`goblins._module`)."""

    __call__ = Exported(defn)
    ActivityOptions = ActivityOptions
    ChildWorkflowHandle = ChildWorkflowHandle
    ChildWorkflowOptions = ChildWorkflowOptions
    Query = Query
    Update = Update
    WorkflowInfo = WorkflowInfo
    continue_as_new = Exported(continue_as_new)
    defn = Exported(defn)
    deprecate_patch = Exported(deprecate_patch)
    execute_activity = Exported(execute_activity)
    execute_child = Exported(execute_child)
    execute_local_activity = Exported(execute_local_activity)
    info = Exported(info)
    logger = logger
    now = Exported(now)
    patched = Exported(patched)
    random = Exported(random)
    set_query_handler = Exported(set_query_handler)
    set_update_handler = Exported(set_update_handler)
    sleep = Exported(sleep)
    start_child = Exported(start_child)
    upsert_search_attributes = Exported(upsert_search_attributes)
    uuid4 = Exported(uuid4)
    wait_for_signal = Exported(wait_for_signal)


sys.modules[__name__].__class__ = _Module
