"""What the contract suites share: fresh names, a hand-moved clock, records to commit, and the
event loop as adapters see it (``RecordingInbox``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, WORKFLOW, TaskRecord
from goblins.server.ports import Inbox
from goblins.server.state import RunState
from goblins.wire import history_event


def new_id(prefix: str = "run") -> str:
    """A name no other test (nor an earlier run on a shared backend) has used."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class FakeClock:
    """A clock the suites move by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def event(run_id: str, seq: int, type: str, ts: float = 1000.0, **fields: Any) -> pb.HistoryEvent:
    return history_event(type, run_id=run_id, seq=seq, workflow_name="wf", time=ts + seq, **fields)


def started(run_id: str, workflow_name: str = "wf", ts: float = 1000.0) -> list[pb.HistoryEvent]:
    return [
        history_event("WORKFLOW_SCHEDULED", run_id=run_id, seq=1, workflow_name=workflow_name, time=ts, input=b'["x"]'),
        history_event("WORKFLOW_STARTED", run_id=run_id, seq=2, workflow_name=workflow_name, time=ts + 0.1),
    ]


_TASK_DEFAULTS = {ACTIVITY: ("act", 5.0), WORKFLOW: ("wf", 0.0)}  # (name, timeout) by kind


def task(run_id: str, suffix: str, kind: str = ACTIVITY, visible_at: float = 0.0, name: str = "") -> TaskRecord:
    """A task record; an activity's data is its ActivityTask, as the server stores it."""
    default_name, timeout = _TASK_DEFAULTS[kind]
    task_id = f"{run_id}{suffix}"
    data = b"data-" + suffix.encode()
    if kind == ACTIVITY:
        data = pb.ActivityTask(
            task_id=task_id, run_id=run_id, step_id=f"{run_id}/1", activity_name=name or default_name
        ).SerializeToString()
    return TaskRecord(task_id, run_id, kind, name or default_name, visible_at, data, timeout)


def wire(events: list[pb.HistoryEvent] | None) -> list[bytes] | None:
    return None if events is None else [e.SerializeToString() for e in events]


async def eventually(check: Callable[[], bool], wait: float = 10.0) -> bool:
    """Whether ``check`` comes true within ``wait`` seconds (polled)."""
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


class RecordingInbox:
    """The event loop as adapters see it (``ports.Inbox``): records what they hand it.

    A start is recorded once per run id (a second answers ``reply`` False, as the loop does);
    ``ack`` callbacks run at once, or wait in ``held`` while ``hold_acks`` is set.
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock: Callable[[], float] = clock or FakeClock()
        self.starts: list[pb.StartWorkflowRequest] = []
        self.reports: list[pb.Report] = []
        self.delivered: list[TaskRecord] = []
        self.timers: list[TaskRecord] = []
        self.timed_out: list[tuple[TaskRecord, bool]] = []
        self.known: set[str] = set()
        self.hold_acks = False
        self.held: list[Callable[[], None]] = []

    def _ack(self, ack: Callable[[], None] | None) -> None:
        if ack is None:
            return
        if self.hold_acks:
            self.held.append(ack)
        else:
            ack()

    def watch(self, fut: asyncio.Future[Any]) -> None:
        """No outages here: a waiting future is settled by its ack alone."""

    def release(self) -> None:
        """Run the held acks: what they acknowledge is durable now."""
        self.hold_acks = False
        held, self.held = self.held, []
        for ack in held:
            ack()

    def report(self, report: pb.Report, ack: Callable[[], None] | None = None) -> None:
        self.reports.append(report)
        self._ack(ack)

    def start_run(
        self,
        request: pb.StartWorkflowRequest,
        ack: Callable[[], None] | None = None,
        *,
        fresh: bool = False,
        reply: asyncio.Future[bool] | None = None,
    ) -> None:
        new = request.run_id not in self.known
        if new:
            self.known.add(request.run_id)
            self.starts.append(request)
        self._ack(ack)
        if reply is not None and not reply.done():
            reply.set_result(new)

    def deliver(self, t: TaskRecord) -> None:
        self.delivered.append(t)

    def timer_due(self, t: TaskRecord) -> None:
        self.timers.append(t)

    def activity_timed_out(self, t: TaskRecord, heartbeat: bool = False) -> None:
        self.timed_out.append((t, heartbeat))

    def resume(self, run_ids: list[str]) -> None:
        pass

    def evict(self, predicate: Callable[[str], bool]) -> None:
        pass

    def expect(self, run_id: str) -> None:
        pass

    def queued(self) -> int:
        return 0

    def run(self, run_id: str) -> RunState | None:
        # Adapters only ask whether the run is held (and its wf_seen, 0 for a fresh one).
        return cast(RunState, _Held()) if run_id in self.known else None

    def build_workflow_task(
        self, t: TaskRecord, seen: int, into: pb.WorkflowTask | None = None, max_bytes: int = 0
    ) -> tuple[pb.WorkflowTask, int]:
        task = pb.WorkflowTask() if into is None else into
        task.task_id, task.run_id, task.workflow_name = t.task_id, t.run_id, t.name
        return task, 0  # no events: a worker would fetch the history itself

    def future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def reported(self, run_id: str) -> list[pb.Report]:
        """The starts, reports and delivered messages for ``run_id`` (each kind in the order
        it arrived)."""
        out = []
        starts = [pb.Report(start_workflow=s) for s in self.starts]
        for r in starts + self.reports + [pb.Report.FromString(t.data) for t in self.delivered]:
            which = r.WhichOneof("kind")
            if which and getattr(r, which).run_id == run_id:
                out.append(r)
        return out


class _Held:
    wf_seen = 0


if TYPE_CHECKING:  # the stand-in keeps up with the port it stands in for (mypy checks it)
    _inbox: Inbox = RecordingInbox()
