"""Testing helpers: check that changed workflow code still replays recorded histories.

    events = await client.get_workflow_handle(run_id).history()
    goblins.testing.replay(events, my_workflow)   # raises if the code no longer fits

Replaying runs no activity and needs no server: the runtime is fed the history and must ask
for the same steps in the same order and, where the history recorded the run's end, reach
the same end. :class:`WorkflowEnvironment` runs a server and a worker in the test's process,
where time can be skipped.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from goblins import _history_json, converter, wire
from goblins._definitions import workflow_definition
from goblins._envelope import PayloadCodec
from goblins._runtime import WorkflowInstance
from goblins.api import v1 as pb
from goblins.client import Client
from goblins.codec import chain
from goblins.errors import NondeterminismError
from goblins.history import ACTIVITY_SCHEDULED, WORKFLOW_FAILED, WORKFLOW_SCHEDULED, WORKFLOW_SUCCEEDED, Event
from goblins.worker import Worker

__all__ = ["WorkflowEnvironment", "load_history", "replay"]


def replay(
    history: Sequence[Event | pb.HistoryEvent],
    workflow: Callable[..., Any],
    *,
    codecs: Sequence[PayloadCodec] | None = None,
) -> None:
    """Replay ``history`` (from ``WorkflowHandle.history()``) through ``workflow``'s code.

    Raises :class:`goblins.NondeterminismError` naming the step that diverged, or the
    difference between the recorded end of the run and the one the code reaches now.
    ``codecs``: those the run's payloads were written with (None reads ``GOBLINS_CODEC_KEYS``).
    """
    codec = chain(codecs)
    defn = workflow_definition(workflow)
    if defn is None:
        raise TypeError(f"replay expects an @goblins.workflow function, got {workflow!r}")
    events = [wire.event_to_proto(e) for e in history]
    if not events or events[0].type != WORKFLOW_SCHEDULED:
        raise ValueError("replay needs a whole history, starting with WORKFLOW_SCHEDULED")
    recorded_name = events[0].workflow_name
    if recorded_name != defn.name:
        raise NondeterminismError(f"the history is of workflow {recorded_name!r}, the code is workflow {defn.name!r}")
    recorded = {e.activity_scheduled.step_id for e in events if e.type == ACTIVITY_SCHEDULED}
    instance = WorkflowInstance(events[0].run_id, defn, codec)  # type: ignore[abstract]
    completion = instance.activate(events)
    if completion.failure is not None:
        raise NondeterminismError(completion.failure[1])
    end = events[-1]
    check_end = _CHECK_END.get(end.type)
    if check_end is None:
        _check_unasked(instance)
        return  # the run had not finished
    # A step the code asks for after the recorded end: the history never recorded it.
    extra = next((c for c in completion.commands if c.WhichOneof("kind") not in _ENDS), None)
    if extra is not None:
        raise NondeterminismError(
            f"the recorded run finished, but the code now {wire.describe_command(extra)} "
            "that the history never recorded"
        )
    if not completion.commands:
        missing = sorted(recorded)
        raise NondeterminismError(f"the recorded run finished, but the code does not finish on replay ({missing})")
    check_end(end, completion.commands[0], codec)
    _check_unasked(instance)


def _check_unasked(instance: WorkflowInstance) -> None:
    unasked = instance.unasked_steps()
    if unasked:
        raise NondeterminismError(
            f"workflow {instance.definition.name!r} run {instance.run_id}: the history recorded "
            f"{', '.join(unasked)}, which the code, replayed to the end of the history, does not ask for"
        )


def load_history(path: str | os.PathLike[str], run_id: str | None = None) -> list[pb.HistoryEvent]:
    """The events of a run from a JSON file that ``goblins workflow export RUN_ID > path`` wrote,
    for :func:`replay`. ``run_id`` picks one run of a file that holds several."""
    runs = _history_json.load(path)
    if run_id is not None:
        if run_id not in runs:
            raise ValueError(f"{path} holds no run {run_id!r} (it holds: {', '.join(runs)})")
        return runs[run_id]
    if len(runs) != 1:
        raise ValueError(f"{path} holds {len(runs)} runs: pass run_id= (one of: {', '.join(runs)})")
    return next(iter(runs.values()))


def _check_success(end: pb.HistoryEvent, command: pb.Command, codec: PayloadCodec | None) -> None:
    kind = command.WhichOneof("kind")
    done = end.workflow_finished_in_success
    continues = kind == "continue_as_new"
    if done.continued_as or continues:
        if not (done.continued_as and continues):
            recorded = f"continued as new ({done.continued_as})" if done.continued_as else "did not continue as new"
            now = "continues as new" if continues else "does not"
            raise NondeterminismError(f"the recorded run {recorded}, the code now {now}")
        return
    if kind != "complete_workflow":
        raise NondeterminismError(f"the recorded run succeeded, the code now {wire.describe_command(command)}")
    got = converter.decode(command.complete_workflow.output, codec=codec)
    want = converter.decode(done.output, codec=codec)
    if got != want:
        raise NondeterminismError(f"the recorded run returned {want!r}, the code now returns {got!r}")


def _check_failure(end: pb.HistoryEvent, command: pb.Command, codec: PayloadCodec | None) -> None:
    kind = command.WhichOneof("kind")
    if kind == "continue_as_new":
        raise NondeterminismError("the recorded run did not continue as new, the code now continues as new")
    if kind != "fail_workflow":
        message = end.workflow_finished_in_error.failure.message
        raise NondeterminismError(f"the recorded run failed ({message}), the code now succeeds")


_CHECK_END: dict[int, Callable[[pb.HistoryEvent, pb.Command, PayloadCodec | None], None]] = {
    WORKFLOW_SUCCEEDED: _check_success,
    WORKFLOW_FAILED: _check_failure,
}
"""How the code's end is checked against each kind of recorded end (other kinds: the run goes on)."""


# The commands that end a run; any other after the recorded end is a step the history lacks.
_ENDS = frozenset({"complete_workflow", "fail_workflow", "continue_as_new"})


class WorkflowEnvironment:
    """A server (embedded, temporary SQLite) and a worker in this process, with skippable time.

        async with goblins.testing.WorkflowEnvironment(workflows=[wf], activities=[act]) as env:
            assert await env.client.execute_workflow(wf, "x") == ...

    With ``time_skipping`` (the default), whenever no task is ready or running and a timer or
    a retry back-off is pending, the server's clock jumps to it: a workflow that sleeps a week
    finishes in milliseconds. ``await env.skip(seconds)`` moves the clock on by hand.
    """

    def __init__(
        self,
        workflows: Sequence[Callable[..., Any]] = (),
        activities: Sequence[Callable[..., Any]] = (),
        *,
        time_skipping: bool = True,
        **worker_options: Any,
    ) -> None:
        self._workflows = list(workflows)
        self._activities = list(activities)
        self._time_skipping = time_skipping
        self._worker_options = worker_options
        self._offset = 0.0
        self._tasks: list[asyncio.Task[Any]] = []
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.server: Any = None
        self.worker: Worker | None = None
        self.client: Client = None  # type: ignore[assignment]

    def now(self) -> float:
        """The environment's clock (seconds since the epoch, skipped time included)."""
        return time.time() + self._offset

    async def skip(self, seconds: float) -> None:
        """Move the server's clock ``seconds`` on: due timers fire."""
        self._offset += seconds
        self._tick()
        await asyncio.sleep(0)

    async def __aenter__(self) -> WorkflowEnvironment:
        from goblins.server import Server  # tests may run a server; workers and clients never import it

        self._dir = tempfile.TemporaryDirectory(prefix="goblins-test-")
        self.server = Server(f"sqlite:///{self._dir.name}/goblins.db", "127.0.0.1", 0, clock=self.now)
        await self.server.start()
        address = f"127.0.0.1:{self.server.port}"
        self.worker = Worker(address, workflows=self._workflows, activities=self._activities, **self._worker_options)
        self._tasks.append(asyncio.create_task(self.worker.run()))
        await self.worker.wait_connected(10)
        self.client = await Client.connect(address, codecs=self._worker_options.get("codecs"))
        if self._time_skipping:
            self._tasks.append(asyncio.create_task(self._skipper()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        if self.worker is not None:
            await self.worker.shutdown()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.stop(grace=0)
        if self._dir is not None:
            self._dir.cleanup()

    def _tick(self) -> None:
        self.server.mode.timers.fire_due()

    async def _skipper(self) -> None:
        """Jump to the next due timer whenever nothing else can move."""
        mode, loop = self.server.mode, self.server.loop
        quiet = 0
        while True:
            await asyncio.sleep(0.005)
            due = mode.timers.next_due()
            if due is None or mode.queue.busy() or loop.queued():
                quiet = 0
                continue
            quiet += 1
            if quiet >= 3:  # idle for a few looks in a row: nothing else is on its way
                self._offset += max(0.0, due - self.now())
                self._tick()
                quiet = 0
