"""Local activities (``goblins.workflow.execute_local_activity``): the workflow's side.

``LocalActivities`` is a part of ``WorkflowInstance`` (goblins/_runtime.py), kept apart for its
size. A call takes a step like an activity, but nothing is sent to the server: the step waits
in ``local_requests`` until the worker that runs the activation runs it (goblins/worker/
_local.py) and hands the outcome back through ``resolve_local``, inside the same workflow
task. The outcome goes out as a ``record_local_activity`` command that the server records as
LOCAL_ACTIVITY_RECORDED; a replay settles the step from that event and runs nothing.

A retry whose back-off is longer than a workflow task should wait (or a call the task had no
time left for) is recorded with ``backoff`` set: the workflow then sleeps on a durable timer
and calls again, as a new step, counting attempts on. Both steps are in the history, so a
replay takes the same path.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goblins import converter, wire
from goblins._definitions import activity_definition, name_of
from goblins._envelope import PayloadCodec
from goblins.api import v1 as pb
from goblins.retry import RetryPolicy

LOCAL = "local activity"  # the kind of a local activity's step
MAX_START_TO_CLOSE = 5.0
"""Seconds: the longest attempt a local activity may ask for. A workflow task runs its local
activities while the server waits for its completion; longer work is a regular activity."""
DEFAULT_START_TO_CLOSE = 5.0
DEFAULT_POLICY = RetryPolicy()


@dataclasses.dataclass
class LocalRequest:
    """A local activity call the worker has to run in this workflow task."""

    step_id: str
    activity_name: str
    input: bytes
    retry_policy: pb.RetryPolicy
    start_to_close_timeout: float
    first_attempt: int  # > 1: the call goes on after a durable back-off (its attempts so far + 1)


class LocalBackoff(Exception):
    """Settles a local step whose attempts go on after a durable timer (never escapes
    ``retries``)."""

    def __init__(self, attempts: int, backoff: float) -> None:
        super().__init__(f"retry after {backoff:g}s")
        self.attempts, self.backoff = attempts, backoff


class LocalActivities:
    """WorkflowInstance's local activity path (a mixin: the instance sets the attributes)."""

    codec: PayloadCodec | None
    _commands: list[pb.Command]
    _pending: dict[str, tuple[asyncio.Future[Any], Any]]

    if TYPE_CHECKING:

        def _next_step(self, kind: str, name: str) -> tuple[str, tuple[str, str] | None]: ...
        def _step_future(self, step_id: str, hint: Any) -> asyncio.Future[Any]: ...
        def _resolve(self, future: asyncio.Future[Any], hint: Any, event: pb.HistoryEvent) -> None: ...
        def _run_ready(self) -> None: ...

    def _init_local(self) -> None:
        self.local_requests: list[LocalRequest] = []

    def local_activity(
        self,
        activity: Any,
        args: Sequence[Any],
        retry_policy: RetryPolicy | None,
        start_to_close_timeout: float | None,
        first_attempt: int = 1,
    ) -> asyncio.Future[Any]:
        """A step that runs ``activity`` on this worker in this workflow task (replay: settles
        from the recorded event). Raises LocalBackoff when the attempts go on after a timer."""
        name = name_of(activity, "local activity")
        defn = activity_definition(activity)
        hint = converter.param_hints(defn.fn)[1] if defn is not None else Any
        payload = converter.encode_args(args, f"local activity {name!r}", self.codec)
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise TypeError(f"retry_policy must be a goblins.RetryPolicy, got {retry_policy!r}")
        timeout = DEFAULT_START_TO_CLOSE if start_to_close_timeout is None else start_to_close_timeout
        if not 0 < timeout <= MAX_START_TO_CLOSE:
            raise ValueError(
                f"a local activity's start_to_close_timeout must be > 0 and <= {MAX_START_TO_CLOSE:g}s, got "
                f"{timeout!r}: longer work is a regular activity (goblins.workflow.execute_activity)"
            )
        step_id, recorded = self._next_step(LOCAL, name)
        if recorded is None:
            policy = wire.retry_policy_to_proto(retry_policy or DEFAULT_POLICY)
            self.local_requests.append(LocalRequest(step_id, name, payload, policy, timeout, first_attempt))
        return self._step_future(step_id, hint)

    def take_local_requests(self) -> list[LocalRequest]:
        """The calls the worker has to run now (and forgets here)."""
        requests, self.local_requests = self.local_requests, []
        return requests

    def _settle_local(self, outcome: pb.LocalActivityRecordedAttributes) -> None:
        """The worker ran a requested call: record its outcome, settle the workflow's await."""
        self._commands.append(pb.Command(record_local_activity=pb.RecordLocalActivity(outcome=outcome)))
        waiter = self._pending.pop(outcome.step_id, None)
        if waiter is not None:
            event = pb.HistoryEvent(type=pb.LOCAL_ACTIVITY_RECORDED, local_activity_recorded=outcome)
            self._resolve(waiter[0], waiter[1], event)
            self._run_ready()

    def _apply_local_recorded(self, event: pb.HistoryEvent) -> bool:
        waiter = self._pending.pop(event.local_activity_recorded.step_id, None)
        if waiter is None:
            return False  # this instance ran it and settled it in the task that recorded it
        self._resolve(waiter[0], waiter[1], event)
        return True


async def retries(
    instance: Any,
    first: asyncio.Future[Any],
    activity: Any,
    args: Sequence[Any],
    retry_policy: RetryPolicy | None,
    start_to_close_timeout: float | None,
) -> Any:
    """The call's result, over as many steps as its durable back-offs take."""
    step = first
    while True:
        try:
            return await step
        except LocalBackoff as backoff:
            await instance.start_timer(backoff.backoff)
            step = instance.local_activity(activity, args, retry_policy, start_to_close_timeout, backoff.attempts + 1)
