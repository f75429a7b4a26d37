"""Schedules, the client's side: ``Client.create_schedule`` and the handle it returns.

A schedule starts ``workflow`` on a calendar (a cron expression in a time zone, or every N
seconds); each action is a run with the workflow id ``SCHEDULE_ID-<time>`` (the scheduled
time, UTC, to the second), started at most once. The server keeps and runs schedules
(goblins/server/scheduler.py); docs/schedules.md tells the rules.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from goblins import converter
from goblins._definitions import name_of
from goblins._duration import optional_seconds
from goblins.api import v1 as pb
from goblins.listing import epoch

if TYPE_CHECKING:
    from goblins.client import Client


class ScheduleOverlap(enum.Enum):
    """What a scheduled time does while the schedule's previous action still runs."""

    SKIP = "SKIP"
    """Do not start it (counted in ``ScheduleDescription.skipped``). The default."""
    BUFFER_ONE = "BUFFER_ONE"
    """Start it when the running one closes; at most one waits, later times are skipped."""
    BUFFER_ALL = "BUFFER_ALL"
    """Start every one, one after another, each when the one before closes."""
    CANCEL_OTHER = "CANCEL_OTHER"
    """Cancel the running one, and start this one when it has closed."""
    TERMINATE_OTHER = "TERMINATE_OTHER"
    """Terminate the running one and start this one at once."""
    ALLOW_ALL = "ALLOW_ALL"
    """Start it at once, whatever runs."""


@dataclasses.dataclass(frozen=True)
class ScheduleAction:
    """One action of a schedule: the run started for a scheduled time."""

    scheduled_time: datetime.datetime
    actual_time: datetime.datetime
    workflow_id: str
    run_id: str
    status: str
    """The run's status now (RUNNING, COMPLETED, ...); "" while it is being started (no run id
    yet) or when it could not start (``error``)."""
    error: str = ""


@dataclasses.dataclass(frozen=True)
class ScheduleDescription:
    """A schedule as ``ScheduleHandle.describe`` (and ``Client.list_schedules``) tell it."""

    id: str
    workflow_name: str
    cron: str
    every: datetime.timedelta | None
    timezone: str
    overlap: ScheduleOverlap
    catchup_window: datetime.timedelta
    jitter: datetime.timedelta
    start_at: datetime.datetime | None
    end_at: datetime.datetime | None
    paused: bool
    note: str
    recent_actions: tuple[ScheduleAction, ...]
    """Newest first (the last ten)."""
    next_action_times: tuple[datetime.datetime, ...]
    """When the next actions fire, jitter included (none while paused)."""
    actions: int
    skipped: int
    """Times not started because of the overlap policy."""
    missed: int
    """Times missed by more than the catch-up window (the server was down)."""
    buffered: tuple[datetime.datetime, ...]
    """Times waiting for the running action to close (buffer policies, triggers, backfills)."""
    running: tuple[str, ...]
    """Workflow ids of the actions that may still run."""
    created_at: datetime.datetime


def _time(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def _optional_time(t: float) -> datetime.datetime | None:
    return _time(t) if t else None


def describe_of(info: pb.ScheduleInfo) -> ScheduleDescription:
    spec = info.spec
    return ScheduleDescription(
        id=info.schedule_id,
        workflow_name=spec.workflow_name,
        cron=spec.cron,
        every=datetime.timedelta(seconds=spec.every) if spec.every else None,
        timezone=spec.timezone or "UTC",
        overlap=ScheduleOverlap(spec.overlap or "SKIP"),
        catchup_window=datetime.timedelta(seconds=spec.catchup_window),
        jitter=datetime.timedelta(seconds=spec.jitter),
        start_at=_optional_time(spec.start_at),
        end_at=_optional_time(spec.end_at),
        paused=info.paused,
        note=info.note,
        recent_actions=tuple(
            ScheduleAction(_time(a.scheduled_time), _time(a.actual_time), a.workflow_id, a.run_id, a.status, a.error)
            for a in info.recent
        ),
        next_action_times=tuple(_time(t) for t in info.next_times),
        actions=info.actions,
        skipped=info.skipped,
        missed=info.missed,
        buffered=tuple(_time(t) for t in info.buffered),
        running=tuple(info.running),
        created_at=_time(info.created_at),
    )


def as_dict(d: ScheduleDescription) -> dict[str, Any]:
    """The description as plain JSON values: times in ISO 8601, durations in seconds."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value.isoformat()
        if isinstance(value, datetime.timedelta):
            return value.total_seconds()
        if isinstance(value, ScheduleOverlap):
            return value.value
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    result: dict[str, Any] = plain(dataclasses.asdict(d))
    return result


def _overlap(value: ScheduleOverlap | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, ScheduleOverlap):
        return value.value
    try:
        return ScheduleOverlap(str(value).upper()).value
    except ValueError:
        names = ", ".join(o.value for o in ScheduleOverlap)
        raise ValueError(f"overlap must be one of {names}, got {value!r}") from None


def build_spec(
    client: Client,
    workflow: Callable[..., Any] | str,
    args: Sequence[Any],
    *,
    cron: str | None,
    every: float | datetime.timedelta | None,
    timezone: str | None,
    start_at: float | datetime.datetime | None,
    end_at: float | datetime.datetime | None,
    jitter: float | datetime.timedelta | None,
    overlap: ScheduleOverlap | str | None,
    catchup_window: float | datetime.timedelta | None,
    execution_timeout: float | datetime.timedelta | None,
) -> pb.ScheduleSpec:
    """The wire spec; the server checks the rest (a cron expression, the time zone)."""
    name = name_of(workflow, "workflow")
    if (cron is None) == (every is None):
        raise ValueError("a schedule needs exactly one of cron= and every=")
    return pb.ScheduleSpec(
        cron=cron or "",
        every=optional_seconds(every, "every", zero=False) or 0.0,
        timezone=timezone or "",
        start_at=epoch(start_at),
        end_at=epoch(end_at),
        jitter=optional_seconds(jitter, "jitter") or 0.0,
        overlap=_overlap(overlap) or "SKIP",
        catchup_window=optional_seconds(catchup_window, "catchup_window", zero=False) or 0.0,
        workflow_name=name,
        input=converter.encode_args(tuple(args), f"workflow {name!r}", client.codec),
        execution_timeout=optional_seconds(execution_timeout, "execution_timeout", zero=False) or 0.0,
    )


class ScheduleHandle:
    """A schedule by its id: ``client.get_schedule_handle(id)`` or ``create_schedule``."""

    def __init__(self, client: Client, id: str) -> None:
        self._client = client
        self.id = id

    def __repr__(self) -> str:
        return f"ScheduleHandle({self.id!r})"

    async def _command(self, command: str, **fields: Any) -> None:
        request = pb.ScheduleCommandRequest(schedule_id=self.id, command=command, **fields)
        await self._client._call("ScheduleCommand", request)

    async def describe(self) -> ScheduleDescription:
        """Its spec, state, recent actions (with their runs' statuses) and next action times."""
        return describe_of(
            await self._client._call("DescribeSchedule", pb.DescribeScheduleRequest(schedule_id=self.id))
        )

    async def pause(self, note: str = "") -> None:
        """No action starts until ``unpause`` (times passed meanwhile are not caught up)."""
        await self._command("pause", note=note)

    async def unpause(self, note: str = "") -> None:
        await self._command("unpause", note=note)

    async def trigger(self, overlap: ScheduleOverlap | str | None = None) -> None:
        """An action now (its time: now, to the second), by ``overlap`` (default: the schedule's)."""
        await self._command("trigger", overlap=_overlap(overlap))

    async def backfill(
        self,
        start: float | datetime.datetime,
        end: float | datetime.datetime,
        overlap: ScheduleOverlap | str | None = None,
    ) -> None:
        """The actions of the scheduled times in [start, end], as if they had fired (by
        ``overlap``, default the schedule's); a time that already has its run is not started
        again."""
        await self._command("backfill", backfill_start=epoch(start), backfill_end=epoch(end), overlap=_overlap(overlap))

    async def update(
        self,
        workflow: Callable[..., Any] | str,
        *args: Any,
        cron: str | None = None,
        every: float | datetime.timedelta | None = None,
        timezone: str | None = None,
        start_at: float | datetime.datetime | None = None,
        end_at: float | datetime.datetime | None = None,
        jitter: float | datetime.timedelta | None = None,
        overlap: ScheduleOverlap | str | None = None,
        catchup_window: float | datetime.timedelta | None = None,
        execution_timeout: float | datetime.timedelta | None = None,
    ) -> None:
        """Replace its spec (the arguments of ``create_schedule``); its state, counters and
        recent actions stay, and times before now are not caught up."""
        spec = build_spec(
            self._client,
            workflow,
            args,
            cron=cron,
            every=every,
            timezone=timezone,
            start_at=start_at,
            end_at=end_at,
            jitter=jitter,
            overlap=overlap,
            catchup_window=catchup_window,
            execution_timeout=execution_timeout,
        )
        await self._command("update", spec=spec)

    async def delete(self) -> None:
        """Delete the schedule; its runs are left alone."""
        await self._command("delete")


async def list_schedules(client: Client) -> list[ScheduleDescription]:
    resp = await client._call("ListSchedules", pb.ListSchedulesRequest())
    return [describe_of(info) for info in resp.schedules]
