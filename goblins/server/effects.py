"""What the server's decisions produce: events to store and the records they call for
(tasks for workers, timers, messages for other runs). The ports and adapters take these."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from goblins.api import v1 as pb

# Where the decisions get their ids: 32 random hex digits (128 bits) per call. The loop
# supplies the random one (``loop.random_ids``); tests pass a counter, so the core stays pure.
IdSource = Callable[[], str]

ACTIVITY = "activity"
WORKFLOW = "workflow"
TIMER = "timer"  # a task the server fires itself when due (no worker runs it)
MESSAGE = "message"  # a report for another run (a child's start, a parent's news), data = Report
WF_TASK_MARK = "#wf-"  # workflow task ids are RUN_ID#wf-SUFFIX


@dataclasses.dataclass
class TaskRecord:
    """A unit of work for a worker, persisted until its report is stored."""

    task_id: str
    run_id: str
    kind: str  # ACTIVITY or WORKFLOW
    name: str  # activity name or workflow name: workers take only names they host
    visible_at: float
    data: bytes  # ActivityTask bytes; empty for workflow tasks (built at dispatch)
    timeout: float = 0.0
    heartbeat: float = 0.0  # activity: its heartbeat_timeout (not stored: it is in data)
    # Its task queue ("": the default one), priority (0: the default) and concurrency key: not
    # columns either, they are in data (``restore_flow`` reads them back).
    queue: str = ""
    priority: int = 0
    ckey: str = ""


def restore_flow(t: TaskRecord) -> None:
    """Set a stored task's queue, priority and concurrency key from its data."""
    if not t.data or t.kind not in (ACTIVITY, WORKFLOW):
        return
    try:
        task: pb.ActivityTask | pb.WorkflowTask = (
            pb.ActivityTask.FromString(t.data) if t.kind == ACTIVITY else pb.WorkflowTask.FromString(t.data)
        )
    except Exception:
        return  # not a task this version wrote: the default queue
    t.queue, t.priority = task.task_queue, task.priority
    if isinstance(task, pb.ActivityTask):
        t.ckey = task.concurrency_key


@dataclasses.dataclass
class Effects:
    """What the server must make durable (events and what they call for) and then announce.

    What they call for comes in three kinds, each for its own port: ``tasks`` for workers
    (TaskQueue; a retry back-off is a task due later), ``timers`` the server fires itself
    (Timers), ``messages``, reports for other runs (Router). All three are records of the
    same shape, stored with the batch: ``new_tasks`` lists them together for the store.
    """

    events: list[pb.HistoryEvent] = dataclasses.field(default_factory=list)
    tasks: list[TaskRecord] = dataclasses.field(default_factory=list)
    timers: list[TaskRecord] = dataclasses.field(default_factory=list)
    messages: list[TaskRecord] = dataclasses.field(default_factory=list)
    done_tasks: list[str] = dataclasses.field(default_factory=list)

    @property
    def new_tasks(self) -> list[TaskRecord]:
        """Tasks, timers and messages: every record the store keeps with the batch."""
        return self.tasks + self.timers + self.messages

    def send(self, report: pb.Report, now: float, unique: str) -> None:
        """A report for another run, made durable with this batch and delivered after it;
        ``unique``: a fresh id from the run's id source."""
        which = report.WhichOneof("kind")
        target = getattr(report, which).run_id if which else ""
        task_id = f"msg-{unique}"
        self.messages.append(TaskRecord(task_id, target, MESSAGE, "", now, report.SerializeToString()))

    def extend(self, other: Effects) -> None:
        self.events.extend(other.events)
        self.tasks.extend(other.tasks)
        self.timers.extend(other.timers)
        self.messages.extend(other.messages)
        self.done_tasks.extend(other.done_tasks)
