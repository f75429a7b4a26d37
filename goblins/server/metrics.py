"""The server's Prometheus metrics (docs/metrics.md lists them).

Counted where the server already holds the facts, never in the decision core: the events of
each committed batch (the loop hands them over once the batch is durable), the time of each
commit, the dispatch of each task (embedded mode: the dispatcher's lease), and gauges read at
scrape time (open runs, connected workers). With metrics off the loop holds ``None`` and each
hook is one attribute test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import CollectorRegistry

from goblins._metrics import BoundedLabels, Counters, Endpoint, Histograms, Sampled
from goblins.history import (
    ACTIVITY_FAILED,
    ACTIVITY_STARTED,
    ACTIVITY_SUCCEEDED,
    WORKFLOW_FAILED,
    WORKFLOW_SCHEDULED,
    WORKFLOW_SUCCEEDED,
    WORKFLOW_TASK_FAILED,
)
from goblins.wire import status_of

# Events are pb.HistoryEvent, typed ``Any`` here: only the wire's owners import the generated
# messages (pyproject's import contracts).
Event = Any
_F = TypeVar("_F", Counters, Histograms)

if TYPE_CHECKING:
    from goblins.server.loop import EventLoop
    from goblins.server.state import RunState

COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def activity_outcome(e: Event) -> str:
    """``success``, ``timeout`` (the server timed the attempt out) or ``failure``."""
    if e.type == ACTIVITY_SUCCEEDED:
        return "success"
    return "timeout" if e.activity_finished_in_error.failure.type == "TimeoutError" else "failure"


def finished_status(e: Event) -> str:
    """The status a finishing event gives its run (the stores' rule: goblins.wire.status_of)."""
    return status_of(e) or "FAILED"


class ServerMetrics:
    """The server's counters, histograms and sampled gauges, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None, waits_from_events: bool = False) -> None:
        """``waits_from_events``: tasks go to workers through a broker, not this server (the
        distributed mode): activity waits are read from the history (:meth:`committed`)."""
        # What each counted event kind does to the metrics: one entry per kind, no elif chain.
        self._on: dict[int, Callable[[Event, Mapping[str, RunState]], None]] = {
            WORKFLOW_SCHEDULED: lambda e, runs: self.started.inc(),
            WORKFLOW_SUCCEEDED: self._finished,
            WORKFLOW_FAILED: self._finished,
            ACTIVITY_SUCCEEDED: lambda e, runs: self.attempts(
                e.activity_finished_in_success.activity_name, "success"
            ).inc(),
            ACTIVITY_FAILED: lambda e, runs: self.attempts(
                e.activity_finished_in_error.activity_name, activity_outcome(e)
            ).inc(),
            WORKFLOW_TASK_FAILED: lambda e, runs: self.task_failures(e.workflow_name).inc(),
        }
        if waits_from_events:
            self._on[ACTIVITY_STARTED] = self._started_attempt
        self.registry = registry if registry is not None else CollectorRegistry()
        started = self._add(Counters("goblins_workflows_started", "Runs recorded (started)."))
        self.started = started.labels()
        self.finished = BoundedLabels(self._add(Counters("goblins_workflows_finished", "Runs finished.", ["status"])))
        attempts = Counters(
            "goblins_activity_attempts",
            "Activity attempts ended, by activity and outcome (success, failure, timeout).",
            ["activity", "outcome"],
        )
        self.attempts = BoundedLabels(self._add(attempts))
        failures = Counters("goblins_workflow_task_failures", "Workflow tasks failed (then retried).", ["workflow"])
        self.task_failures = BoundedLabels(self._add(failures))
        commits = Histograms("goblins_commit_seconds", "Time of one durable commit of a batch.", (), COMMIT_BUCKETS)
        self.commit_seconds = self._add(commits).labels()
        batches = Histograms("goblins_batch_events", "Events in one committed batch.", (), BATCH_BUCKETS)
        self.batch_events = self._add(batches).labels()
        wait = Histograms(
            "goblins_schedule_to_start_seconds",
            "From a task's being due to its hand-over to a worker, by kind (activity, workflow).",
            ["kind"],
            WAIT_BUCKETS,
        )
        self._add(wait)
        self._wait = {kind: wait.labels(kind) for kind in ("activity", "workflow")}
        self._endpoint: Endpoint | None = None
        self.port = 0  # of /metrics, once served

    def _add(self, family: _F) -> _F:
        self.registry.register(family)
        return family

    def sample(self, open_runs: Callable[[], int], workers: Callable[[], int]) -> None:
        """Gauges read at scrape time: runs in this server's memory, connected workers."""
        self.registry.register(
            Sampled("goblins_runs_open", "Runs open (not finished) in this server's memory.", None, _one(open_runs))
        )
        self.registry.register(
            Sampled("goblins_workers_connected", "Worker sessions connected to this server.", None, _one(workers))
        )

    def serve(self, port: int, host: str | None = None) -> int:
        """Serve ``/metrics``; returns the port (``port`` 0: any free one)."""
        self._endpoint = Endpoint(self.registry, port, host)
        return self._endpoint.port

    def close(self) -> None:
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None

    # ---- hooks ----

    def commit(self, seconds: float, events: int) -> None:
        """A batch of ``events`` events was committed in ``seconds``."""
        self.commit_seconds.observe(seconds)
        self.batch_events.observe(events)

    def committed(self, events: Sequence[Event], runs: Mapping[str, RunState]) -> None:
        """These events are durable (``runs``: the runs they belong to, as decided)."""
        on = self._on
        for e in events:
            handle = on.get(e.type)
            if handle is not None:
                handle(e, runs)

    def _finished(self, e: Event, runs: Mapping[str, RunState]) -> None:
        self.finished(finished_status(e)).inc()

    def dispatched(self, kind: str, waited: float) -> None:
        """A task of ``kind`` (activity or workflow) went to a worker ``waited`` s after it was due."""
        self._wait[kind].observe(max(waited, 0.0))

    def _started_attempt(self, e: Event, runs: Mapping[str, RunState]) -> None:
        """Distributed mode: workers take tasks from the broker, so a first attempt's wait is
        read from its ACTIVITY_STARTED (recorded when the worker's report arrives) against its
        ACTIVITY_SCHEDULED. Retries are not counted: their due time is not at hand here."""
        started = e.activity_started
        if started.attempt != 1 or started.async_token_hash:  # the second of an async attempt
            return
        rs = runs.get(e.run_id)
        act = rs.activities.get(started.step_id) if rs is not None else None
        if act is not None:
            self._wait["activity"].observe(max(e.time - act.scheduled.time, 0.0))


def attach(loop: EventLoop, port: int, host: str | None = None) -> ServerMetrics:
    """Count what ``loop`` (started) commits and dispatches, and serve ``/metrics`` on
    ``host:port`` (``port`` 0: any free one; ``metrics.port`` says which)."""
    metrics = ServerMetrics(waits_from_events=not loop.queue.stores_tasks)
    # The embedded mode's dispatcher hands tasks to workers: it times their wait, and knows
    # the sessions. The distributed mode's workers read the broker and hold no session here.
    dispatcher = getattr(loop.queue, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.on_dispatch = metrics.dispatched
    metrics.sample(lambda: len(loop.runs), dispatcher.connected if dispatcher is not None else lambda: 0)
    metrics.port = metrics.serve(port, host)
    loop.metrics = metrics
    return metrics


def _one(read: Callable[[], int]) -> Callable[[], dict[str, float]]:
    return lambda: {"": float(read())}
