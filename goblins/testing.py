"""Testing helpers: check that changed workflow code still replays recorded histories.

    events = await client.get_workflow_handle(run_id).history()
    goblins.testing.replay(events, my_workflow)   # raises if the code no longer fits

Replaying runs no activity and needs no server: the runtime is fed the history and must ask
for the same steps in the same order and, where the history recorded the run's end, reach
the same end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from goblins import converter
from goblins._definitions import workflow_definition
from goblins._proto import goblins_pb2 as pb
from goblins._runtime import WorkflowInstance
from goblins.errors import NondeterminismError
from goblins.events import Event, EventType

__all__ = ["replay"]


def _to_proto(e: Event | pb.Event) -> pb.Event:
    if isinstance(e, pb.Event):
        return e
    return pb.Event(
        run_id=e.run_id,
        seq=e.seq,
        type=e.type.value,
        workflow_name=e.workflow_name,
        activity_name=e.activity_name,
        activity_run_id=e.activity_run_id,
        attempt=e.attempt,
        max_attempts=e.max_attempts,
        input=converter.encode(e.input) if e.input is not None else b"",
        output=converter.encode(e.output) if e.output is not None else b"",
        error=e.error,
        error_type=e.error_type,
        timestamp=e.timestamp,
        retry_at=e.retry_at,
    )


def replay(history: Sequence[Event | pb.Event], workflow: Callable[..., Any]) -> None:
    """Replay ``history`` (from ``WorkflowHandle.history()``) through ``workflow``'s code.

    Raises :class:`goblins.NondeterminismError` naming the step that diverged, or the
    difference between the recorded end of the run and the one the code reaches now.
    """
    defn = workflow_definition(workflow)
    if defn is None:
        raise TypeError(f"replay expects an @goblins.workflow function, got {workflow!r}")
    events = [_to_proto(e) for e in history]
    if not events or events[0].type != EventType.WORKFLOW_SCHEDULED.value:
        raise ValueError("replay needs a whole history, starting with WORKFLOW_SCHEDULED")
    if events[0].workflow_name != defn.name:
        raise NondeterminismError(
            f"the history is of workflow {events[0].workflow_name!r}, the code is workflow {defn.name!r}"
        )
    recorded = {e.activity_run_id for e in events if e.type == EventType.ACTIVITY_SCHEDULED.value}
    instance = WorkflowInstance(events[0].run_id, defn)  # type: ignore[abstract]
    completion = instance.activate(events)
    if completion.failure is not None:
        raise NondeterminismError(completion.failure[1])
    new = [c.schedule_activity for c in completion.commands if c.WhichOneof("kind") == "schedule_activity"]
    end = events[-1]
    finished = end.type in (EventType.WORKFLOW_FINISHED_IN_SUCCESS.value, EventType.WORKFLOW_FINISHED_IN_ERROR.value)
    if finished and new:
        first = new[0]
        raise NondeterminismError(
            f"the recorded run finished, but the code now schedules activity {first.activity_name!r} "
            f"({first.activity_run_id}) that the history never recorded"
        )
    ends = [c for c in completion.commands if c.WhichOneof("kind") != "schedule_activity"]
    if finished and not ends:
        missing = sorted(recorded)
        raise NondeterminismError(f"the recorded run finished, but the code does not finish on replay ({missing})")
    if finished:
        _check_end(end, ends[0])


def _check_end(end: pb.Event, command: pb.Command) -> None:
    if end.type == EventType.WORKFLOW_FINISHED_IN_SUCCESS.value:
        if command.WhichOneof("kind") != "complete_workflow":
            raise NondeterminismError(
                f"the recorded run succeeded, the code now fails: {command.fail_workflow.error}"
            )
        got, want = converter.decode(command.complete_workflow.output), converter.decode(end.output)
        if got != want:
            raise NondeterminismError(f"the recorded run returned {want!r}, the code now returns {got!r}")
    elif command.WhichOneof("kind") != "fail_workflow":
        raise NondeterminismError(f"the recorded run failed ({end.error}), the code now succeeds")
