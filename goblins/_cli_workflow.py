"""The ``goblins workflow show`` and ``goblins workflow list`` commands: a run's history and
the runs, printed as tables (part of goblins.cli, kept apart for its size)."""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Callable, Sequence
from typing import Any

from goblins import converter
from goblins._cli_tls import client_tls
from goblins.client import Client
from goblins.history import Event, EventType


async def _connect(args: argparse.Namespace) -> Client:
    return await Client.connect(args.server, timeout=5.0, tls=client_tls(args))


def _cell(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else converter.encode(value).decode() if value is not None else ""
    return text if len(text) <= width else text[: width - 1] + "…"


async def workflow_show(args: argparse.Namespace) -> int:
    header: tuple[str, ...] = ("SEQ", "TIME", "EVENT", "ACTIVITY", "ATTEMPT", "DETAIL")
    async with await _connect(args) as client:
        handle = client.get_workflow_handle(args.run_id)
        token, first = b"", True
        failed: list[Event] = []
        while first or token:
            # Printed a page at a time: a long history starts to show at once, in bounded memory.
            events, token = await handle.history_page(token, args.page_size)
            rows = [header] if first else []
            rows += [_show_row(e) for e in events]
            widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)] if rows else []
            for r in rows:
                print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1])
            first = False
            # Only the failures are kept for their traces: memory stays bounded by what failed.
            failed += [e for e in events if _traced(e)]
    _print_traces(failed)
    return 0


def _show_row(e: Event) -> tuple[str, ...]:
    when = datetime.datetime.fromtimestamp(e.time).strftime("%H:%M:%S.%f")[:-3]
    attempt = e.attributes.get("attempt")
    tries = f"{attempt}/{e.attributes.get('max_attempts') or '∞'}" if attempt else ""
    return (str(e.seq), when, e.type.value, e.name if e.step_id else "", tries, _cell(_DETAIL[e.type](e), 60))


def _failed(e: Event) -> str:
    if e.failure is None:
        return ""
    return e.failure.message + (" (non-retryable)" if e.failure.non_retryable else "")


def _activity_failed(e: Event) -> str:
    retry_at = e.attributes["retry_at"]
    return _failed(e) + (f" (retry in {max(0.0, retry_at - e.time):.2f}s)" if retry_at else "")


def _succeeded(e: Event) -> str:
    continued_as = e.attributes.get("continued_as")
    return f"continued as {continued_as}" if continued_as else _cell(e.output)


_DETAIL: dict[EventType, Callable[[Event], str]] = {
    EventType.WORKFLOW_SCHEDULED: lambda e: _cell(e.input),
    EventType.WORKFLOW_STARTED: lambda e: "",
    EventType.WORKFLOW_FINISHED_IN_SUCCESS: _succeeded,
    EventType.WORKFLOW_FINISHED_IN_ERROR: _failed,
    EventType.ACTIVITY_SCHEDULED: lambda e: _cell(e.input),
    EventType.ACTIVITY_STARTED: lambda e: "",
    EventType.ACTIVITY_FINISHED_IN_SUCCESS: lambda e: _cell(e.output),
    EventType.ACTIVITY_FINISHED_IN_ERROR: _activity_failed,
    EventType.WORKFLOW_TASK_FAILED: _failed,
    EventType.TIMER_STARTED: lambda e: f"fires in {e.attributes['fire_at'] - e.time:g}s",
    EventType.TIMER_FIRED: lambda e: "",
    EventType.WORKFLOW_SIGNALED: lambda e: f"{e.name} {_cell(e.input)}",
    EventType.WORKFLOW_CANCEL_REQUESTED: lambda e: e.attributes["reason"],
    EventType.CHILD_WORKFLOW_STARTED: lambda e: _cell(e.input),
    EventType.CHILD_WORKFLOW_COMPLETED: lambda e: _cell(e.output),
    EventType.CHILD_WORKFLOW_FAILED: _failed,
}
"""The DETAIL column of ``workflow show``, by kind: every kind is named."""


def _traced(e: Event) -> bool:
    return e.failure is not None and (bool(e.failure.stack_trace) or e.failure.details is not None)


def _print_traces(events: Sequence[Event]) -> None:
    """The stack traces of the failures (workflow tasks, activity attempts, the run's end) in
    full, after the table and a blank line: where to look for the bug. A trace seen already
    (the same error on every retry) is named, not printed again."""
    printed: dict[str, int] = {}
    for e in events:
        f = e.failure
        if f is None or not _traced(e):
            continue
        attempt = e.attributes.get("attempt")
        step = f", {e.name} attempt {attempt}" if e.step_id and attempt else ""
        print(f"\nstack trace of event {e.seq} ({e.type.value}{step}): {f.message}")
        if f.details is not None:
            print(f"details: {_cell(f.details, 2000)}")
        if f.stack_trace in printed:
            print(f"(the same as event {printed[f.stack_trace]})")
        elif f.stack_trace:
            printed[f.stack_trace] = e.seq
            print(f.stack_trace.rstrip("\n"))


async def workflow_list(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        runs = await client.list_workflows(status=args.status, workflow_name=args.name, limit=args.limit)
    rows = [("RUN ID", "WORKFLOW", "STATUS", "CREATED")]
    for run in runs:
        created = datetime.datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M:%S")
        rows.append((run.run_id, run.workflow_name, run.status, created))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0
