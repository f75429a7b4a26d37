"""Schedules, the pure part: a spec, a state and the time now in; the actions to take and the
next state out. No I/O, no clock: the adapter (server/scheduler.py) reads, calls ``plan``,
acts and writes, so every rule here is unit-tested on made-up times.

Rules (docs/schedules.md):
- The spec's times are a cron expression in a time zone (croniter, zoneinfo) or every N
  seconds from ``start_at`` (else from the epoch). On a spring-forward day a time that does
  not exist fires at the first time after the gap (02:30 -> 03:00); on a fall-back day a
  fixed hour fires once (the first 02:30), an hourly ``*`` field fires in both hours (vixie cron).
- A time ``t`` fires at ``t + jitter_of(t)``: a fixed offset in [0, jitter) drawn from the
  schedule id and ``t``, so servers agree on it without talking.
- ``state.cursor``: every scheduled time up to it is dealt with. A time found late by more
  than the catch-up window (the server was down) is missed: counted, never started.
- Each due time (and each trigger or backfill time) meets the overlap policy, given whether
  an earlier action still runs; a buffered one waits, in order, until none does.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import math
import zoneinfo
from typing import Any

from croniter import croniter

OVERLAPS = ("SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER", "TERMINATE_OTHER", "ALLOW_ALL")
DEFAULT_CATCHUP = 365 * 86400.0  # Temporal's default: a year
RECENT = 10  # actions describe shows
MAX_BUFFER = 1000  # BUFFER_ALL keeps at most this many waiting times; past it, times are skipped
MAX_TICKS = 1000  # times examined in one plan (past them, a long outage is counted, then jumped)
UTC = datetime.UTC


class SpecError(ValueError):
    """A schedule spec that cannot be used; the message says which part."""


@dataclasses.dataclass(frozen=True)
class Spec:
    cron: str = ""
    every: float = 0.0
    timezone: str = ""
    start_at: float = 0.0
    end_at: float = 0.0
    jitter: float = 0.0
    overlap: str = "SKIP"
    catchup_window: float = DEFAULT_CATCHUP

    def check(self) -> None:
        if bool(self.cron) == bool(self.every):
            raise SpecError("a schedule needs exactly one of cron= and every=")
        if self.every and (not math.isfinite(self.every) or self.every < 1):
            raise SpecError(f"every must be at least 1 second, got {self.every!r}")
        if self.cron:
            if len(self.cron.split()) != 5:
                raise SpecError(f"cron must have 5 fields (minute hour day month weekday), got {self.cron!r}")
            if not croniter.is_valid(self.cron):
                raise SpecError(f"cron expression {self.cron!r} is not valid")
        self.zone()
        if self.overlap not in OVERLAPS:
            raise SpecError(f"overlap must be one of {', '.join(OVERLAPS)}, got {self.overlap!r}")
        for name in ("start_at", "end_at", "jitter", "catchup_window"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise SpecError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.end_at and self.end_at < self.start_at:
            raise SpecError("end_at is before start_at")

    def zone(self) -> datetime.tzinfo:
        if not self.timezone:
            return UTC
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SpecError(f"unknown time zone {self.timezone!r}") from None


def times(spec: Spec, after: float, limit: int) -> list[float]:
    """The spec's scheduled times strictly after ``after``, oldest first, at most ``limit``,
    within start_at/end_at."""
    after = max(after, spec.start_at - 1e-6) if spec.start_at else after
    out: list[float] = []
    if spec.every:
        anchor = spec.start_at
        k = math.floor((after - anchor) / spec.every) + 1
        while len(out) < limit:
            t = anchor + k * spec.every
            if spec.end_at and t > spec.end_at:
                break
            if t > after:
                out.append(t)
            k += 1
        return out
    zone = spec.zone()
    fixed_hour = spec.cron.split()[1] != "*"
    it = croniter(spec.cron, datetime.datetime.fromtimestamp(math.floor(after), zone))
    while len(out) < limit:
        when: datetime.datetime = it.get_next(datetime.datetime)
        t = when.timestamp()
        if spec.end_at and t > spec.end_at:
            break
        if when.fold and fixed_hour:
            continue  # the second 02:30 of a fall-back night: a fixed hour fires once
        if t > after:
            out.append(t)
    return out


def jitter_of(schedule_id: str, spec: Spec, t: float) -> float:
    if not spec.jitter:
        return 0.0
    digest = hashlib.blake2b(f"{schedule_id}@{t:.3f}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64 * spec.jitter


def workflow_id(schedule_id: str, t: float) -> str:
    """The workflow id of the action scheduled at ``t``: ``SCHEDULE_ID-2026-12-03T20:00:00Z``."""
    stamp = datetime.datetime.fromtimestamp(math.floor(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{schedule_id}-{stamp}"


@dataclasses.dataclass
class Pending:
    time: float
    overlap: str


@dataclasses.dataclass
class Action:
    time: float
    fired_at: float
    workflow_id: str
    run_id: str = ""
    error: str = ""


@dataclasses.dataclass
class State:
    cursor: float
    paused: bool = False
    note: str = ""
    buffer: list[Pending] = dataclasses.field(default_factory=list)
    requests: list[Pending] = dataclasses.field(default_factory=list)  # triggers and backfills
    running: list[str] = dataclasses.field(default_factory=list)  # workflow ids
    cancelling: list[str] = dataclasses.field(default_factory=list)
    # Actions decided and not yet known started (the adapter starts them, then moves them to
    # ``recent``): written before any start, so a crash between the two loses no action.
    starting: list[Action] = dataclasses.field(default_factory=list)
    recent: list[Action] = dataclasses.field(default_factory=list)
    actions: int = 0
    skipped: int = 0
    missed: int = 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        data = dict(data)
        for key in ("buffer", "requests"):
            data[key] = [Pending(**p) for p in data.get(key, [])]
        for key in ("starting", "recent"):
            data[key] = [Action(**a) for a in data.get(key, [])]
        return cls(**data)


@dataclasses.dataclass
class Plan:
    state: State
    starts: list[Action]  # start these, in order (after the terminations)
    cancel: list[str]  # request cancellation of these workflow ids
    terminate: list[str]


def plan(schedule_id: str, spec: Spec, state: State, now: float, still_open: set[str]) -> Plan:
    """What to do at ``now``; ``still_open``: which of ``state.running`` have not closed."""
    s = State.from_json(state.to_json())  # a copy: the caller keeps the old state to compare
    still_open = still_open | {a.workflow_id for a in s.starting}  # not started yet: it will run
    s.running = [w for w in s.running if w in still_open]
    s.cancelling = [w for w in s.cancelling if w in still_open]
    queue = s.buffer + s.requests
    s.buffer, s.requests = [], []
    if s.paused:
        s.cursor = max(s.cursor, now)  # a paused schedule does not catch up on its pause
    else:
        queue.extend(_due(schedule_id, spec, s, now))
    out = Plan(s, [], [], [])
    for p in queue:
        _meet(schedule_id, p, s, out, now)
    return out


def _due(schedule_id: str, spec: Spec, s: State, now: float) -> list[Pending]:
    due: list[Pending] = []
    oldest = now - spec.catchup_window
    if spec.every:  # every N seconds: count the times the window excludes, then jump past them
        _jump(spec, s, oldest - spec.jitter)
    batch = times(spec, s.cursor, MAX_TICKS)
    if len(batch) == MAX_TICKS and batch[-1] + spec.jitter < oldest:
        # A long outage of a cron schedule: walking every time is slow (croniter), so the
        # times past this batch and before the window are counted at this batch's rate.
        s.missed += len(batch)
        skip_to = oldest - spec.jitter
        span = batch[-1] - s.cursor
        s.missed += round(len(batch) * (skip_to - batch[-1]) / span) if span > 0 else 0
        s.cursor = skip_to
        batch = times(spec, s.cursor, MAX_TICKS)
    for t in batch:
        fires = t + jitter_of(schedule_id, spec, t)
        if fires > now:
            break
        s.cursor = t
        if fires < oldest:
            s.missed += 1
        else:
            due.append(Pending(t, spec.overlap))
    return due


def _jump(spec: Spec, s: State, before: float) -> None:
    """Count as missed the times in (cursor, before) (they fire before the window surely)."""
    if spec.end_at:
        before = min(before, spec.end_at + spec.every / 2)
    after = max(s.cursor, spec.start_at - 1e-6) if spec.start_at else s.cursor
    first = math.floor((after - spec.start_at) / spec.every) + 1
    last = math.ceil((before - spec.start_at) / spec.every) - 1
    if last >= first:
        s.missed += last - first + 1
        s.cursor = spec.start_at + last * spec.every


def _meet(schedule_id: str, p: Pending, s: State, out: Plan, now: float) -> None:
    """One time meets its overlap policy: start now, wait in the buffer, or be skipped."""
    busy = bool(s.running)
    if p.overlap == "TERMINATE_OTHER" and busy:
        out.terminate.extend(w for w in s.running if w not in out.terminate)
        s.running, s.cancelling = [], []
        busy = False
    waiting = bool(s.buffer)  # buffered times go first: a new one waits behind them
    if p.overlap == "ALLOW_ALL" or not (busy or waiting):
        _start(schedule_id, p, s, out, now)
    elif p.overlap == "SKIP":
        s.skipped += 1
    elif p.overlap == "BUFFER_ONE":
        if any(b.overlap == "BUFFER_ONE" for b in s.buffer):
            s.skipped += 1
        else:
            s.buffer.append(p)
    elif p.overlap == "BUFFER_ALL":
        if len(s.buffer) >= MAX_BUFFER:
            s.skipped += 1
        else:
            s.buffer.append(p)
    elif p.overlap == "CANCEL_OTHER":
        for w in s.running:
            if w not in s.cancelling:
                s.cancelling.append(w)
                out.cancel.append(w)
        # Only the newest waits for the cancelled ones to close; older waiting ones are dropped.
        kept = [b for b in s.buffer if b.overlap != "CANCEL_OTHER"]
        s.skipped += len(s.buffer) - len(kept)
        s.buffer = [*kept, p]
    else:  # TERMINATE_OTHER behind buffered times: it waits its turn like them
        s.buffer.append(p)


def _start(schedule_id: str, p: Pending, s: State, out: Plan, now: float) -> None:
    action = Action(p.time, now, workflow_id(schedule_id, p.time))
    out.starts.append(action)
    s.running.append(action.workflow_id)
    s.starting.append(action)
    s.actions += 1


def started(s: State, actions: list[Action]) -> None:
    """These actions of ``s.starting`` were started (``run_id``) or refused (``error``)."""
    done = {a.workflow_id for a in actions}
    s.starting = [a for a in s.starting if a.workflow_id not in done]
    s.running = [w for w in s.running if w not in {a.workflow_id for a in actions if a.error}]
    s.recent = [*s.recent, *actions][-RECENT:]


def next_times(schedule_id: str, spec: Spec, state: State, now: float, count: int = 5) -> list[float]:
    """When the next ``count`` times fire (jitter included); none while paused."""
    if state.paused:
        return []
    return [t + jitter_of(schedule_id, spec, t) for t in times(spec, max(state.cursor, now), count)]


def backfill(spec: Spec, start: float, end: float, overlap: str, limit: int = MAX_BUFFER) -> list[Pending]:
    """The scheduled times in [start, end], as requests (start_at/end_at and pause ignored)."""
    free = dataclasses.replace(spec, start_at=0.0, end_at=0.0)
    found = [t for t in times(free, start - 1e-6, limit + 1) if t <= end]
    if len(found) > limit:
        raise SpecError(f"a backfill may cover at most {limit} times")
    return [Pending(t, overlap) for t in found]
