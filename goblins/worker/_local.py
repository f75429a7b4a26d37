"""Local activities: the worker runs them inside the workflow task that asked for them.

An activation that leaves ``instance.local_requests`` gets them run here, all at once (the
workflow asked for them in parallel), each retried by its policy while the back-off is short;
then ``instance.resolve_local`` records each outcome and runs the code on, which may ask for
more. The task's completion carries every command, the ``record_local_activity`` ones in the
order the outcomes came. Nothing is reported before that completion: a worker that dies first
leaves no trace, and the next worker runs the activity again (at least once, as documented).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from goblins import converter
from goblins._activity import ActivityContext, log_failed_attempt, record_failure
from goblins._activity import current as activity_context
from goblins._definitions import ActivityDefinition
from goblins._envelope import PayloadCodec
from goblins._local_activity import LocalRequest
from goblins.api import v1 as pb
from goblins.retry import next_delay

if TYPE_CHECKING:
    from goblins._runtime import Completion, WorkflowInstance

IN_TASK_BACKOFF = 1.0
"""Seconds: a retry waits within the workflow task up to this long; longer, on a durable timer."""
TASK_BUDGET = 3.0
"""Seconds a workflow task spends on local activities before it defers the rest to a durable
timer of its own: the server waits 10 s for a workflow task's completion, an attempt up to 5."""
DEFERRED = 0.001  # the durable timer of a call the task had no time left for


class LocalRunner:
    """Runs the local activities of a worker's workflow tasks."""

    def __init__(
        self,
        activities: Mapping[str, ActivityDefinition],
        codec: PayloadCodec | None,
        executor: concurrent.futures.Executor | None,
        identity: str,
    ) -> None:
        self._activities = activities
        self._codec = codec
        self._executor = executor
        self._identity = identity

    async def run(self, instance: WorkflowInstance, completion: Completion) -> Completion:
        """``completion`` with the instance's local activities run and recorded, and whatever
        the code did next."""
        began = time.monotonic()
        commands = list(completion.commands)
        while instance.local_requests and completion.failure is None and not completion.finished:
            requests = instance.take_local_requests()
            deadline = began + TASK_BUDGET
            outcomes = await asyncio.gather(*(self._call(instance.run_id, r, deadline) for r in requests))
            completion = instance.resolve_local(outcomes)
            commands.extend(completion.commands)
        completion.commands = commands
        return completion

    async def _call(self, run_id: str, r: LocalRequest, deadline: float) -> pb.LocalActivityRecordedAttributes:
        outcome = pb.LocalActivityRecordedAttributes(step_id=r.step_id, activity_name=r.activity_name)
        attempt = r.first_attempt
        while True:
            if time.monotonic() >= deadline:  # no time left in this task: on after a timer
                outcome.attempts, outcome.backoff = attempt - 1, DEFERRED
                return outcome
            result = await self._attempt(run_id, r, attempt)
            outcome.attempts = attempt
            if result.ok:
                outcome.ClearField("failure")  # an earlier attempt's
                outcome.output = result.output
                return outcome
            delay = None if result.non_retryable else next_delay(r.retry_policy, attempt, result.error_type)
            failure = outcome.failure
            failure.message, failure.type = result.error, result.error_type
            failure.stack_trace, failure.non_retryable = result.stack_trace, result.non_retryable
            failure.details = result.error_details
            if delay is None:
                return outcome
            if delay > IN_TASK_BACKOFF or time.monotonic() + delay >= deadline:
                outcome.backoff = max(delay, DEFERRED)
                return outcome
            await asyncio.sleep(delay)
            attempt += 1

    async def _attempt(self, run_id: str, r: LocalRequest, attempt: int) -> pb.ActivityResult:
        """One attempt, as an ActivityResult (ok and output, or the error)."""
        task = pb.ActivityTask(
            task_id=f"{r.step_id}#local{attempt}",
            run_id=run_id,
            step_id=r.step_id,
            activity_name=r.activity_name,
            attempt=attempt,
            max_attempts=r.retry_policy.max_attempts,
            start_to_close_timeout=r.start_to_close_timeout,
        )
        result = pb.ActivityResult(task_id=task.task_id, run_id=run_id, step_id=r.step_id, attempt=attempt)
        # goblins.activity.info() works; heartbeats go nowhere (a local activity has none)
        ctx = ActivityContext(task, _no_report, asyncio.get_running_loop(), self._codec)
        token = activity_context.set(ctx)
        try:
            defn = self._activities.get(r.activity_name)
            if defn is None:
                raise LookupError(f"activity {r.activity_name!r} is not registered on worker {self._identity}")
            args = converter.decode_args(r.input, defn.fn, self._codec)
            if defn.is_async:
                value = await asyncio.wait_for(defn.fn(*args), r.start_to_close_timeout)
            else:
                call = functools.partial(contextvars.copy_context().run, defn.fn, *args)
                running = asyncio.get_running_loop().run_in_executor(self._executor, call)
                value = await asyncio.wait_for(running, r.start_to_close_timeout)
            result.output = converter.encode(value, f"local activity {r.activity_name!r} result", self._codec)
            result.ok = True
        except TimeoutError:
            result.error_type = "TimeoutError"
            result.error = (
                f"TimeoutError: local activity {r.activity_name!r} did not finish within {r.start_to_close_timeout:g}s"
            )
        except asyncio.CancelledError:
            raise  # the worker stops: the task is redelivered, and the call runs again there
        except BaseException as exc:
            record_failure(result, exc, self._codec)
        finally:
            activity_context.reset(token)
        if not result.ok:
            log_failed_attempt(task, result)
        return result


def _no_report(report: pb.Report) -> None:
    pass
