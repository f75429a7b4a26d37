"""Schedules, the adapter: runs ``schedule_core.plan`` on the server's clock, starts the runs
it asks for through ``Runs.start``, and writes the new state back; and serves the schedule
RPCs (create, update, pause, unpause, trigger, backfill, delete, describe, list).

Exactly once, across restarts and servers: every server plans every schedule, and writes its
plan on the condition that the row still has the version it read; only the plan that won acts.
Its starts are written first, as ``state.starting``, then made, then moved to the recent
actions: a crash in between leaves them in ``starting``, and whoever plans next starts them
again. A start is made under the workflow id ``SCHEDULE_ID-<time>`` with REJECT_DUPLICATE and
FAIL, so a start made twice (before and after a crash, or by two servers) is answered the second
time with the first one's run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from goblins.api import v1 as pb
from goblins.history import RUNNING
from goblins.server import schedule_core as core
from goblins.server.checks import too_long
from goblins.server.runs import FailedPrecondition, InvalidArgument, NotFound, RequestError, Runs

log = logging.getLogger("goblins.server")

POLL = 0.5  # seconds between looks at running actions and other servers' changes
MAX_WRITES = 20  # conflicting writes in a row before a step gives up until the next poll
COMMANDS = ("create", "update", "pause", "unpause", "trigger", "backfill", "delete")


class ScheduleRows(Protocol):
    """The store's schedules table: a record per schedule, written only on the version read."""

    async def insert_schedule(self, schedule_id: str, data: bytes) -> bool: ...
    async def update_schedule(self, schedule_id: str, data: bytes, version: int) -> bool: ...
    async def delete_schedule(self, schedule_id: str) -> bool: ...
    async def schedule_row(self, schedule_id: str) -> tuple[bytes, int] | None: ...
    async def schedule_rows(self) -> list[tuple[str, bytes, int]]: ...


def spec_of(msg: pb.ScheduleSpec) -> core.Spec:
    return core.Spec(
        cron=msg.cron,
        every=msg.every,
        timezone=msg.timezone,
        start_at=msg.start_at,
        end_at=msg.end_at,
        jitter=msg.jitter,
        overlap=msg.overlap or "SKIP",
        catchup_window=msg.catchup_window or core.DEFAULT_CATCHUP,
    )


class Record:
    """A schedule as stored: its spec (the wire message), its state and when it was made."""

    def __init__(self, spec: pb.ScheduleSpec, state: core.State, created_at: float) -> None:
        self.spec, self.state, self.created_at = spec, state, created_at

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "spec": base64.b64encode(self.spec.SerializeToString()).decode(),
                "state": self.state.to_json(),
                "created_at": self.created_at,
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> Record:
        doc = orjson.loads(data)
        spec = pb.ScheduleSpec.FromString(base64.b64decode(doc["spec"]))
        return cls(spec, core.State.from_json(doc["state"]), doc["created_at"])


class Scheduler:
    def __init__(self, runs: Runs, rows: ScheduleRows, clock: Callable[[], float], poll: float = POLL) -> None:
        self.runs = runs
        self.rows = rows
        self.clock = clock
        self.poll = poll
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._said: set[str] = set()
        self._troubled = False  # this round had a problem

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            delay = self.poll
            self._troubled = False
            try:
                rows = await self.rows.schedule_rows()
            except Exception as exc:  # a store outage: try again at the next poll
                self._warn(f"cannot list schedules: {type(exc).__name__}: {exc}")
                rows = []
            for schedule_id, data, version in rows:
                try:
                    wait = await self.step(schedule_id, (data, version))
                except Exception as exc:
                    self._warn(f"schedule {schedule_id!r}: {type(exc).__name__}: {exc}")
                    continue
                if wait is not None:
                    delay = min(delay, wait)
            if not self._troubled:
                self._said.clear()  # a round without a problem: the next one is said again
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(delay, 0.01))

    def _warn(self, problem: str) -> None:
        """Log a problem once while it lasts (an outage would say it at every poll)."""
        self._troubled = True
        if problem not in self._said:
            self._said.add(problem)
            log.warning("scheduler: %s", problem)

    async def step(self, schedule_id: str, listed: tuple[bytes, int] | None = None) -> float | None:
        """Plan one schedule now, write, act; the seconds until its next time (None: none).
        ``listed``: its row as a listing read it (maybe stale: a write on it is then refused,
        and the row is read again)."""
        for _ in range(MAX_WRITES):
            row, listed = listed or await self.rows.schedule_row(schedule_id), None
            if row is None:
                return None
            record, version = Record.decode(row[0]), row[1]
            spec = spec_of(record.spec)
            still_open = {w for w in record.state.running if await self._open(w)}
            now = self.clock()
            plan = core.plan(schedule_id, spec, record.state, now, still_open)
            if plan.state != record.state:
                # The decision is written before anything is done: only the plan that won the
                # row acts, and its starts, written as ``starting``, survive a crash.
                record.state = plan.state
                if not await self.rows.update_schedule(schedule_id, record.encode(), version):
                    continue  # another server (or a command) wrote first: plan from its state
                version += 1
                for workflow_id in plan.terminate:
                    await self._stop(workflow_id, True)
                for workflow_id in plan.cancel:
                    await self._stop(workflow_id, False)
            if record.state.starting:
                await self._start(record)
                # Lost to another writer: whoever plans next starts them again, and each start
                # is answered with the run this one made (the workflow id).
                await self.rows.update_schedule(schedule_id, record.encode(), version)
            upcoming = core.next_times(schedule_id, spec, record.state, now, 1)
            return upcoming[0] - now if upcoming else None
        return None

    async def _open(self, workflow_id: str) -> bool:
        return (await self.runs.ids.current(workflow_id)).status == RUNNING

    async def _start(self, record: Record) -> None:
        """Start the actions decided (``state.starting``), and record their runs."""
        spec, done = record.spec, []
        for action in record.state.starting:
            request = pb.StartWorkflowRequest(
                workflow_name=spec.workflow_name,
                input=spec.input,
                execution_timeout=spec.execution_timeout,
                workflow_id=action.workflow_id,
                # A run id of its own, the same on every try: a start cut short by a crash
                # after the id was claimed is made again, not answered with a run never made.
                run_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"goblins-schedule:{action.workflow_id}")),
                id_reuse_policy=pb.ID_REUSE_REJECT_DUPLICATE,
                id_conflict_policy=pb.ID_CONFLICT_FAIL,
            )
            try:
                # Already started (by another server, or by this one before a crash): that run
                # is this time's action.
                action.run_id = (await self.runs.start(request)).run_id
            except RequestError as exc:  # e.g. no worker registered the workflow: recorded, not retried
                action.error = str(exc)
            done.append(action)
        core.started(record.state, done)

    async def _stop(self, workflow_id: str, terminate: bool) -> None:
        reason = "overlap policy of its schedule: " + ("TERMINATE_OTHER" if terminate else "CANCEL_OTHER")
        with contextlib.suppress(NotFound, FailedPrecondition):  # it closed meanwhile
            await self.runs.cancel(pb.CancelWorkflow(workflow_id=workflow_id, terminate=terminate, reason=reason))

    # ---- the RPCs ----

    async def command(self, request: pb.ScheduleCommandRequest) -> pb.ScheduleCommandResponse:
        sid, what = request.schedule_id, request.command
        if not sid:
            raise InvalidArgument("schedule_id is required")
        problem = too_long(("schedule_id", sid), ("note", request.note))
        if problem:
            raise InvalidArgument(problem)
        if what not in COMMANDS:
            raise InvalidArgument(f"command must be one of {', '.join(COMMANDS)}, got {what!r}")
        if request.overlap and request.overlap not in core.OVERLAPS:
            raise InvalidArgument(f"overlap must be one of {', '.join(core.OVERLAPS)}, got {request.overlap!r}")
        self.runs.loop.refuse_in_outage()
        if what == "create":
            spec = self._checked(request.spec)
            now = self.clock()
            record = Record(spec, core.State(cursor=now, paused=request.paused, note=request.note), now)
            if not await self.rows.insert_schedule(sid, record.encode()):
                raise FailedPrecondition(f"schedule {sid!r} already exists")
        elif what == "delete":
            if not await self.rows.delete_schedule(sid):
                raise NotFound(f"no schedule {sid!r}")
        else:
            await self._change(sid, request)
        self._wake.set()
        return pb.ScheduleCommandResponse()

    def _checked(self, spec: pb.ScheduleSpec) -> pb.ScheduleSpec:
        if not spec.workflow_name:
            raise InvalidArgument("a schedule needs a workflow_name")
        problem = too_long(("workflow_name", spec.workflow_name), ("cron", spec.cron), ("timezone", spec.timezone))
        if problem:
            raise InvalidArgument(problem)
        self.runs._refuse_payload(spec.input, "input")
        try:
            spec_of(spec).check()
        except core.SpecError as exc:
            raise InvalidArgument(str(exc)) from None
        return spec

    async def _change(self, sid: str, request: pb.ScheduleCommandRequest) -> None:
        for _ in range(MAX_WRITES):
            row = await self.rows.schedule_row(sid)
            if row is None:
                raise NotFound(f"no schedule {sid!r}")
            record, version = Record.decode(row[0]), row[1]
            state, spec = record.state, spec_of(record.spec)
            overlap = request.overlap or spec.overlap
            what = request.command
            if what in ("pause", "unpause"):
                state.paused, state.note = what == "pause", request.note
                if what == "unpause":
                    state.cursor = max(state.cursor, self.clock())  # no catch-up on the pause
            elif what == "trigger":
                state.requests.append(core.Pending(float(int(self.clock())), overlap))
            elif what == "backfill":
                if request.backfill_end < request.backfill_start:
                    raise InvalidArgument("backfill: end is before start")
                try:
                    state.requests.extend(core.backfill(spec, request.backfill_start, request.backfill_end, overlap))
                except core.SpecError as exc:
                    raise InvalidArgument(str(exc)) from None
            else:  # update: a new spec; times already dealt with stay dealt with
                record.spec = self._checked(request.spec)
                state.cursor = max(state.cursor, self.clock())
            if await self.rows.update_schedule(sid, record.encode(), version):
                return
        raise FailedPrecondition(f"schedule {sid!r} is contended: {MAX_WRITES} writes lost in a row")

    async def describe(self, request: pb.DescribeScheduleRequest) -> pb.ScheduleInfo:
        row = await self.rows.schedule_row(request.schedule_id)
        if row is None:
            raise NotFound(f"no schedule {request.schedule_id!r}")
        return await self._info(request.schedule_id, Record.decode(row[0]))

    async def list(self) -> pb.ListSchedulesResponse:
        rows = await self.rows.schedule_rows()
        infos = [await self._info(sid, Record.decode(data), statuses=False) for sid, data, _ in rows]
        return pb.ListSchedulesResponse(schedules=infos)

    async def _info(self, sid: str, record: Record, statuses: bool = True) -> pb.ScheduleInfo:
        s, now = record.state, self.clock()
        info = pb.ScheduleInfo(
            schedule_id=sid,
            spec=record.spec,
            paused=s.paused,
            note=s.note,
            next_times=core.next_times(sid, spec_of(record.spec), s, now),
            actions=s.actions,
            skipped=s.skipped,
            missed=s.missed,
            buffered=[p.time for p in s.buffer + s.requests],
            running=s.running,
            created_at=record.created_at,
        )
        for a in [*reversed(s.starting), *reversed(s.recent)]:  # newest first (the ones starting first)
            out = info.recent.add(
                scheduled_time=a.time, actual_time=a.fired_at, workflow_id=a.workflow_id, run_id=a.run_id
            )
            out.error = a.error
            if statuses and a.run_id:
                out.status = (await self.runs.ids.current(a.workflow_id)).status or ""
        return info


def attach(runs: Runs, store: Any, clock: Callable[[], float], poll: float = POLL) -> Scheduler:
    """A started scheduler over the store's schedules table."""
    scheduler = Scheduler(runs, store, clock, poll)
    scheduler.start()
    return scheduler
