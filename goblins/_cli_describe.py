"""``goblins workflow describe``'s text: a run's description (``goblins.RunDescription``) as an
operator reads it, the reasons it is not moving first."""

from __future__ import annotations

import datetime
from typing import Any

from goblins import converter
from goblins._cli_search import search_lines
from goblins.describe import RunDescription
from goblins.history import Failure


def _time(t: float | None) -> str:
    if t is None:
        return "-"
    return datetime.datetime.fromtimestamp(t, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: Any) -> str:
    return converter.encode(value).decode()


def _failure(f: Failure, indent: str) -> list[str]:
    lines = [f"{indent}last failure: {f.message}" + (" (non-retryable)" if f.non_retryable else "")]
    if f.details is not None:
        lines.append(f"{indent}  details: {_json(f.details)}")
    lines += [f"{indent}  {line}" for line in f.stack_trace.rstrip("\n").splitlines()]
    return lines


def description_lines(d: RunDescription) -> list[str]:
    """The description as lines of text."""
    lines = [
        f"run:       {d.run_id}",
        f"workflow:  {d.workflow_name}",
        f"status:    {d.status}" + (" (cancel requested)" if d.cancel_requested and d.status == "RUNNING" else ""),
        f"started:   {_time(d.start_time)}",
        f"closed:    {_time(d.close_time)}",
        f"duration:  {d.duration:.3f}s" + (" so far" if d.close_time is None else ""),
    ]
    if d.continued_as:
        lines.append(f"continued as: {d.continued_as}")
    lines += search_lines(d)

    if d.reset_from:
        lines.append(f"reset from: {d.reset_from}")
    if d.reset_to:
        lines.append(f"reset to:  {d.reset_to}")
    if d.failure is not None:
        lines.append(f"failure:   {d.failure.message}")
    elif d.close_time is not None and not d.continued_as:
        lines.append(f"result:    {_json(d.result)}")
    if d.reasons:
        lines.append("why it is not moving:")
        lines += [f"  - {reason}" for reason in d.reasons]
    if d.workflow_task_failure is not None:
        since = _time(d.workflow_task_failing_since)
        lines.append(f"workflow task: {d.workflow_task_failures} failure(s) since {since}")
        lines += _failure(d.workflow_task_failure, "  ")
    if d.pending_activities:
        lines.append("pending activities:")
    for a in d.pending_activities:
        of = f"/{a.max_attempts}" if a.max_attempts else "/∞"
        lines.append(f"  {a.name}  step {a.step_id}  {a.state}  attempt {a.attempt}{of}")
        if a.next_retry_time is not None:
            lines.append(f"    next retry: {_time(a.next_retry_time)}")
        if a.last_failure is not None:
            lines += _failure(a.last_failure, "    ")
        if a.heartbeat_details is not None or a.last_heartbeat_time is not None:
            lines.append(f"    last heartbeat: {_time(a.last_heartbeat_time)} {_json(a.heartbeat_details)}")
    if d.pending_timers:
        lines.append("pending timers:")
        lines += [f"  step {t.step_id}  fires at {_time(t.fire_time)}" for t in d.pending_timers]
    if d.children:
        lines.append("children:")
    for c in d.children:
        outcome = c.failure.message if c.failure is not None else _json(c.result) if c.status != "RUNNING" else ""
        lines.append(f"  {c.run_id}  {c.name}  {c.status}  {outcome}".rstrip())
    if d.signals_waited_for:
        lines.append(f"waits for signals: {', '.join(d.signals_waited_for)}")
    if d.signals_received:
        lines.append(f"signals received: {', '.join(d.signals_received)}")
    if d.pending_updates:
        lines.append(f"updates running: {', '.join(d.pending_updates)}")
    return lines


def print_description(d: RunDescription) -> None:
    for line in description_lines(d):
        print(line)
