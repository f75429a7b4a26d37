"""The server's event loop: reports in, engine decisions, one durable commit, then handlers.

It runs over a ``Mode`` (server/ports.py) and never asks which mode that is. Adapters reach it
through the ``Inbox`` protocol only; the application layer (server/runs.py) through the
methods under "for the application".

Handlers run only after the store has committed a batch: dispatch the new tasks, acknowledge
the reports to their workers, answer start requests, wake result waiters, log at debug level.
Everything submitted while a commit is in flight waits for the next turn, so a busy server
commits many events per fsync.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from goblins._gc import tune_gc
from goblins.api import v1 as pb
from goblins.history import FINISHED
from goblins.server.checks import (
    HISTORY_MAX_BYTES,
    HISTORY_MAX_EVENTS,
    HISTORY_WARN_BYTES,
    HISTORY_WARN_EVENTS,
    MAX_PAYLOAD,
)
from goblins.server.commits import StoreCommits
from goblins.server.effects import Effects, IdSource, TaskRecord
from goblins.server.items import Item, _Register, _Report, _Resume, _run_id_of, _Start, _start_signal
from goblins.server.paging import PAGE_BYTES, fit, page_token
from goblins.server.ports import Batch, Mode, StoreConflict, StoreRejected
from goblins.server.recent import RECENT_BYTES, RecentResults
from goblins.server.reports import ReportDecisions
from goblins.server.reset import install
from goblins.server.reset_plans import plan_resets
from goblins.server.state import RunState, timed_out_result
from goblins.wire import step_id_of, type_name

if TYPE_CHECKING:
    from goblins.server.metrics import ServerMetrics

log = logging.getLogger("goblins.server")

MAX_BATCH = 2000
CONFLICT_RETRIES = 5

# Crash tests: the server dies (as kill -9 would) right after committing a batch with an event
# of this type, before its tasks and reports are delivered: the narrowest window there is.
CRASH_AFTER_COMMIT = os.environ.get("GOBLINS_TEST_CRASH_AFTER_COMMIT", "")


def random_ids() -> str:
    """The production id source of the decisions: 128 random bits as 32 hex digits."""
    return os.urandom(16).hex()


class EventLoop(StoreCommits, ReportDecisions):
    """Runs the engine over a mode's ports; implements ``Inbox``."""

    def __init__(
        self,
        mode: Mode,
        clock: Callable[[], float] = time.time,
        ids: IdSource = random_ids,
        results_cache_bytes: int = RECENT_BYTES,
    ) -> None:
        self.mode = mode
        self.store = mode.store
        self.queue = mode.queue
        self.clock = clock
        self.ids = ids
        self.runs: dict[str, RunState] = {}
        self._durable: dict[str, int] = {}  # run_id -> events committed (the rest is in flight)
        self.registered: set[tuple[str, str]] = set()
        self.declared_now: list[tuple[str, str]] = []  # by workflows' upserts in this turn
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._waiters: dict[str, list[asyncio.Future[pb.HistoryEvent | None]]] = {}
        self._recent = RecentResults(results_cache_bytes)  # finishing events for GetResult (the store has them all)
        # Distributed mode: fresh runs this server started and owns, not yet recorded (their start
        # is on its way through the broker to this server's own consumer).
        self._starting: dict[str, None] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self.failed: BaseException | None = None
        # Why commits fail, while they do (a full disk, a read-only file, Cassandra down): new
        # writes are refused with it, and requests waiting for a commit are answered with it.
        self.outage = ""
        self._writers: set[asyncio.Future[Any]] = set()  # requests waiting for a commit
        self._outage_listeners: list[Callable[[str], None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None  # the serving loop, once started
        # Heartbeat details not yet stored, by (run_id, step_id): the next turn stores
        # them (a heartbeat alone wakes the loop for that, at most once per turn).
        self._beats: dict[tuple[str, str], bytes] = {}
        self._settling: set[asyncio.Future[None]] = set()
        self._beat_turn_queued = False
        self.max_payload = MAX_PAYLOAD  # bytes in one payload a worker reports
        self.max_history_events = HISTORY_MAX_EVENTS
        self.warn_history_events = HISTORY_WARN_EVENTS
        self.max_history_bytes = HISTORY_MAX_BYTES
        self.warn_history_bytes = HISTORY_WARN_BYTES
        self._warned_long: set[str] = set()  # runs whose long (or big) history was logged
        self.metrics: ServerMetrics | None = None  # counts committed events (server/metrics.py)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        tune_gc()
        self.registered = await self.store.registry()
        self.mode.router.bind(self, self.store)
        await self.queue.start(self)
        self._tasks = [asyncio.create_task(self._loop())]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.queue.stop()

    # ---- Inbox (for adapters) ----

    def start_run(
        self,
        request: pb.StartWorkflowRequest,
        ack: Callable[[], None] | None = None,
        *,
        fresh: bool = False,
        reply: asyncio.Future[bool] | None = None,
        done_task: str = "",
    ) -> None:
        """Record a run (``reply``: False when it existed); acknowledged by ``ack`` once durable."""
        r = request
        if reply is not None:
            self.watch(reply)
        self._queue.put_nowait(
            _Start(
                r.workflow_name,
                r.input,
                r.run_id,
                reply,
                ack,
                fresh,
                r.parent_run_id,
                r.parent_step,
                done_task,
                r.execution_timeout,
                _start_signal(r),
                r.trace_context,
                (r.task_queue, r.priority),
                r if (r.search_attributes or r.memo) else None,
                r.workflow_id,
                r.reset if r.HasField("reset") else None,
            )
        )

    def expect(self, run_id: str) -> None:
        self._starting[run_id] = None

    def run(self, run_id: str) -> RunState | None:
        return self.runs.get(run_id)

    def future(self) -> asyncio.Future[Any]:
        # The serving loop, not asyncio.get_running_loop(): Python 3.11 calls getpid() for it.
        return (self.loop or asyncio.get_running_loop()).create_future()

    # ---- for the application (server/runs.py) ----

    async def register(self, names: list[tuple[str, str]]) -> None:
        """Record these (kind, name) pairs in the registry; returns once durable."""
        if not set(names) - self.registered:
            return
        reply: asyncio.Future[None] = self.future()
        self.watch(reply)
        self._queue.put_nowait(_Register(names, reply))
        await reply

    async def applied(self) -> None:
        """Returns once every report queued before this call is applied (committed or refused)."""
        reply: asyncio.Future[None] = self.future()
        self._queue.put_nowait(_Register([], reply))  # an empty registration: a barrier in the inbox
        await reply

    def timer_due(self, t: TaskRecord) -> None:
        """A timer task is due: the server records TIMER_FIRED (no worker is involved)."""
        self.report(pb.Report(timer_fired=pb.TimerFired(timer_id=t.task_id, run_id=t.run_id)))

    async def is_registered(self, kind: str, name: str) -> bool:
        """Whether a worker ever registered this name (with any server of the cluster)."""
        if (kind, name) not in self.registered:
            self.registered |= await self.store.registry()  # another server may have recorded it
        return (kind, name) in self.registered

    def report(self, report: pb.Report, ack: Callable[[], None] | None = None) -> None:
        self._queue.put_nowait(_Report(report, ack))

    def deliver(self, t: TaskRecord) -> None:
        """A message task (a report for another run) is due: hand it to that run."""
        report = pb.Report.FromString(t.data)
        if report.HasField("start_workflow"):
            self.start_run(report.start_workflow, None, done_task=t.task_id)
        else:
            self._queue.put_nowait(_Report(report, None, t.task_id))

    def resume(self, run_ids: list[str]) -> None:
        """Load these runs (and publish the tasks they owe); used on a partition takeover."""
        if run_ids:
            self._queue.put_nowait(_Resume(run_ids))

    def evict(self, predicate: Callable[[str], bool]) -> None:
        """Forget cached runs (their partition moved to another server)."""
        for run_id in [r for r in self.runs if predicate(r)]:
            self.runs.pop(run_id, None)
            self._durable.pop(run_id, None)
        for run_id in [r for r in self._starting if predicate(r)]:
            del self._starting[run_id]

    async def task_pending(self, task: pb.ActivityTask) -> tuple[bool, bytes]:
        """Whether this activity attempt is still to be done and wanted (its run not ended, nor
        cancelled after it was scheduled), by the durable history, and the last heartbeat
        details known for its activity (empty: none)."""
        rs = self.runs.get(task.run_id)
        if rs is None:
            stored = await self.store.load_run(task.run_id)
            if stored is None:
                return False, b""
            rs = RunState.from_history(task.run_id, stored.events, heartbeats=stored.heartbeats, ids=self.ids)
        act = rs.activities.get(task.step_id)
        # An attempt that went async is no worker's to run again: a client completes it.
        pending = (
            act is not None
            and not act.finished
            and act.attempt == task.attempt
            and rs.wants(act)
            and not act.async_hash
        )
        return pending, rs.heartbeats.get(task.step_id, b"")

    def queued(self) -> int:
        return self._queue.qsize()

    def waiter(self, run_id: str) -> asyncio.Future[pb.HistoryEvent | None]:
        """A future resolved with the run's finishing event; register before reading the store."""
        fut: asyncio.Future[pb.HistoryEvent | None] = self.future()
        self._waiters.setdefault(run_id, []).append(fut)
        return fut

    def known_last(self, run_id: str) -> tuple[bool, pb.HistoryEvent | None]:
        """What memory knows of a run's outcome, without the store: (known, finishing event).

        Known when this server has just finished the run (a finishing event never changes), or
        owns the run and will wake its waiters when it finishes: it holds the run in flight with
        durable events, or (distributed mode) it started the run itself and the start is on its
        way through the broker. Call after registering a waiter, like a store read.
        """
        event = self._recent.get(run_id)
        if event is not None:
            return True, event
        if not self.mode.router.owns(run_id):
            return False, None
        rs = self.runs.get(run_id)
        if rs is not None and self._durable.get(run_id, 0) > 0 and not rs.finished:
            return True, None
        if rs is None and run_id in self._starting:
            return True, None
        return False, None

    def drop_waiter(self, run_id: str, fut: asyncio.Future[pb.HistoryEvent | None]) -> None:
        waiters = self._waiters.get(run_id)
        if waiters and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                del self._waiters[run_id]

    # ---- the loop ----

    async def _loop(self) -> None:
        try:
            while True:
                items = [await self._queue.get()]
                while len(items) < MAX_BATCH and not self._queue.empty():
                    items.append(self._queue.get_nowait())
                await self._turn(items)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a failed commit: stop rather than acknowledge anything
            log.critical("event loop stopped: %s", exc, exc_info=True)
            self.failed = exc
            raise

    async def _turn(self, items: list[Item], attempt: int = 0) -> None:
        now = self.clock()
        await plan_resets(self.store, self.runs, items, now)
        fx = await self._load_runs(items, now)  # what loaded runs owe, if anything
        self._beat_turn_queued = True  # this turn stores the heartbeats noted until its batch is cut
        batch = Batch(now=now)
        touched: dict[str, RunState] = {}
        replies: list[tuple[asyncio.Future[Any], Any]] = []
        acks: list[Callable[[], None]] = []
        for item in items:
            if isinstance(item, _Report):
                if item.done_task:
                    fx.done_tasks.append(item.done_task)
                rs = self.runs.get(_run_id_of(item.report))
                if rs is not None:
                    touched[rs.run_id] = rs
                    if not rs.finished:
                        fx.extend(self._decide(rs, item.report, now))
                if item.ack is not None:
                    acks.append(item.ack)
            elif isinstance(item, _Start):
                if item.ack is not None:
                    acks.append(item.ack)
                if item.done_task:
                    fx.done_tasks.append(item.done_task)
                existed = item.run_id in self.runs
                self._starting.pop(item.run_id, None)
                if existed:
                    touched[item.run_id] = self.runs[item.run_id]
                    fx.extend(self.runs[item.run_id].restarted(now))
                else:
                    rs = RunState(item.run_id, ids=self.ids)
                    self.runs[item.run_id] = rs
                    self._durable[item.run_id] = 0
                    if item.reset_events:
                        fx.extend(install(rs, item.reset_events, now))
                    else:
                        fx.extend(
                            rs.start(
                                item.workflow_name,
                                item.payload,
                                now,
                                item.parent_run_id,
                                item.parent_step,
                                item.execution_timeout,
                                item.trace_context,
                                item.flow,
                                item.request,
                                item.workflow_id,
                            )
                        )
                    touched[rs.run_id] = rs
                if item.signal is not None:  # in the start's commit: the run never exists without it
                    fx.extend(self.runs[item.run_id].signal(item.signal, now))
                if item.reply is not None:
                    replies.append((item.reply, not existed))
            elif isinstance(item, _Resume):
                for run_id in item.run_ids:
                    if run_id in self.runs:
                        touched[run_id] = self.runs[run_id]
            else:
                batch.registry.extend(item.names)
                replies.append((item.reply, None))
        batch.events, batch.new_tasks, batch.done_tasks = fx.events, fx.new_tasks, fx.done_tasks
        if self.declared_now:
            batch.registry.extend(self.declared_now)
            self.declared_now = []
        batch.heartbeats, self._beats, self._beat_turn_queued = self._beats, {}, False
        batch.forget_heartbeats = [run_id for run_id, rs in touched.items() if rs.finished and rs.heartbeats]
        if not self.queue.stores_tasks:  # reports to other runs are produced after the commit
            batch.unsettled = [run_id for run_id, rs in touched.items() if rs.owes_farewells()]
        if batch:
            try:
                await self._commit(batch)
            except StoreConflict as exc:
                # Another server wrote these runs meanwhile (a partition moved while this turn
                # was deciding): forget what this turn decided and decide again from the store.
                # Deciding is idempotent, so the retry records only what is still missing.
                self.evict(lambda run_id: run_id in touched)
                self._beats = {**batch.heartbeats, **self._beats}
                if attempt >= CONFLICT_RETRIES:
                    raise
                log.warning("turn redone after a store conflict: %s", exc)
                await self._turn(items, attempt + 1)
                return
            except StoreRejected as exc:
                # Retrying the batch would fail forever: forget what it decided and commit its
                # halves apart, down to the one item the store refuses (quarantined).
                self.evict(lambda run_id: run_id in touched)
                self._beats = {**batch.heartbeats, **self._beats}
                await self._isolate(items, exc)
                return
        await self._after_commit(batch, fx, touched, replies, acks)

    async def _after_commit(
        self,
        batch: Batch,
        fx: Effects,
        touched: dict[str, RunState],
        replies: list[tuple[asyncio.Future[Any], Any]],
        acks: list[Callable[[], None]],
    ) -> None:
        if CRASH_AFTER_COMMIT and any(type_name(e) == CRASH_AFTER_COMMIT for e in batch.events):
            log.critical("GOBLINS_TEST_CRASH_AFTER_COMMIT=%s: dying before delivery", CRASH_AFTER_COMMIT)
            os._exit(137)
        self.registered.update(batch.registry)
        for run_id, rs in touched.items():
            self._durable[run_id] = len(rs.events)
            if rs.finished:  # finished runs live in the store only
                self.runs.pop(run_id, None)
                self._durable.pop(run_id, None)
                self.queue.forget_run(run_id)
        # Each port gets its own kind: tasks to workers, timers, reports for other runs.
        publish = self.queue.publish(fx.tasks, batch.done_tasks)
        if fx.messages:
            await asyncio.gather(publish, self.mode.router.deliver(fx.messages))
        else:
            await publish
        if fx.timers:
            await self.mode.timers.schedule(fx.timers)
        if batch.unsettled:  # delivered: in the background (unsettled runs are only resent)
            settling = asyncio.ensure_future(self.store.settle(batch.unsettled))
            self._settling.add(settling)
            settling.add_done_callback(self._settled)
        self.queue.observe(batch.events, touched)
        if self.metrics is not None:
            self.metrics.committed(batch.events, touched)
        for ack in acks:
            ack()
        for fut, value in replies:
            if not fut.done():
                fut.set_result(value)
        debug = log.isEnabledFor(logging.DEBUG)
        recent = self._recent
        for e in batch.events:
            if debug:
                log.debug("event %s %s#%d %s", type_name(e), e.run_id, e.seq, step_id_of(e))
            if e.type in FINISHED:
                recent.add(e)
                for fut in self._waiters.pop(e.run_id, []):
                    if not fut.done():
                        fut.set_result(e)

    def _settled(self, fut: asyncio.Future[None]) -> None:
        self._settling.discard(fut)
        if not fut.cancelled() and fut.exception() is not None:
            # Harmless: the runs stay listed as active; the next owner resends their reports.
            log.warning("finished runs not settled: %s", fut.exception())

    async def _load_runs(self, items: list[Item], now: float) -> Effects:
        """Bring the runs these items touch into memory (after a restart or a partition move).

        Where tasks are not stored with the events (Kafka), a run coming from the store owes
        the tasks its history calls for: they may have been lost before they were produced.
        The turn's effects start from what they owe.
        """
        wanted: list[str] = []
        for i in items:
            if isinstance(i, _Report):
                wanted.append(_run_id_of(i.report))
            elif isinstance(i, _Start):
                if not i.fresh:
                    wanted.append(i.run_id)
            elif isinstance(i, _Resume):
                wanted.extend(i.run_ids)
        runs = self.runs
        missing = list({run_id: None for run_id in wanted if run_id and run_id not in runs})
        if not missing:
            return Effects()
        loaded = await self.store.load_runs(missing)  # one read (one thread hop) for all
        owed = Effects()
        for run_id, stored in zip(missing, loaded, strict=True):
            if stored is None or run_id in self.runs:
                continue
            beats = stored.heartbeats | {act: d for (run, act), d in self._beats.items() if run == run_id}
            rs = RunState.from_history(run_id, stored.events, stored.wf_task_id, beats, ids=self.ids)
            self.runs[run_id] = rs
            self._durable[run_id] = len(rs.events)
            if not self.queue.stores_tasks:  # tasks not stored may never have been produced
                owed.extend(rs.owed(now))
                self.queue.observe(rs.events, {run_id: rs}, reloaded=True)
        return owed

    # ---- Inbox: callbacks of the task queue and timers ----

    def build_workflow_task(
        self, t: TaskRecord, seen: int, into: pb.WorkflowTask | None = None, max_bytes: int = PAGE_BYTES
    ) -> tuple[pb.WorkflowTask, int]:
        """The workflow task for ``t``, filled into ``into`` (an empty message) when given, and
        the bytes of events it carries: at most ``max_bytes`` (maybe none); the worker fetches
        the rest in pages, from the task's next_page_token."""
        task = pb.WorkflowTask() if into is None else into
        task.task_id, task.run_id, task.workflow_name = t.task_id, t.run_id, t.name
        rs = self.runs.get(t.run_id)
        if rs is None:
            return task, 0  # no events: the worker fetches the history itself
        durable = self._durable.get(t.run_id, 0)
        if seen > durable:
            seen = 0
        task.from_seq, task.last_seq = seen, durable
        task.replay_through = rs.replay_through
        through = rs.through
        end = fit(through, seen, durable, max_bytes)
        task.events.extend(rs.events[seen:end])
        if end < durable:
            task.next_page_token = page_token(t.run_id, end)
        return task, through[end] - through[seen]

    def activity_timed_out(self, t: TaskRecord, heartbeat: bool = False) -> None:
        task = pb.ActivityTask.FromString(t.data)
        self.report(pb.Report(activity_result=timed_out_result(task, t.timeout, heartbeat)), None)

    def heartbeat(self, r: pb.ActivityHeartbeat) -> bool:
        """An activity attempt's heartbeat; False when the attempt is no longer wanted (the run
        was cancelled or ended, or the attempt timed out): the worker should stop it."""
        if len(r.details) > self.max_payload:  # not kept: the attempt goes on, its checkpoint is lost
            log.warning(
                "heartbeat details of %s dropped: %d bytes, at most %d",
                r.step_id,
                len(r.details),
                self.max_payload,
            )
            r = pb.ActivityHeartbeat(task_id=r.task_id, run_id=r.run_id, step_id=r.step_id, attempt=r.attempt)
        rs = self.runs.get(r.run_id)
        if rs is None:
            # Not in memory: the run has finished (finished runs live in the store only), or
            # (embedded mode) this server has restarted and no report has loaded the run yet.
            # A task the dispatcher still holds is pending: the attempt is wanted; the run is
            # loaded so that its state (a cancel request) decides the next heartbeats.
            if not self.queue.holds(r.task_id):
                return False
            self._queue.put_nowait(_Resume([r.run_id]))
        elif not rs.heartbeat(r):
            return False
        else:
            rs.heartbeat_times[r.step_id] = self.clock()
        self.queue.heartbeat(r.task_id, r.details)
        if r.details:
            self._beats[(r.run_id, r.step_id)] = r.details
            if not self._beat_turn_queued:
                self._beat_turn_queued = True
                self._queue.put_nowait(_Resume([]))
        return True
