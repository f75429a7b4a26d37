"""The ``goblins workflow`` commands that read runs: ``show`` (a run's history as a table or
JSON), ``list``, ``describe`` (what a run waits on and why it is not moving) and ``query``
(part of goblins.cli, kept apart for its size; ``register`` adds them to its parser)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from goblins import _cli_ids, converter
from goblins._cli_describe import print_description
from goblins._cli_search import attributes_cell, search_lines
from goblins._cli_tls import client_tls
from goblins.client import Client
from goblins.codec import display
from goblins.history import STATUSES, Event, EventType

DETAIL_WIDTH = 60  # the DETAIL column of `workflow show` without --wide


def register(client_parser: Callable[[str, str], argparse.ArgumentParser], positive: Callable[[str], int]) -> None:
    """Add show, list, describe and query to ``goblins workflow`` (``client_parser(name,
    help)`` makes a subcommand with the --server option; ``positive``: cli's count type)."""
    c = client_parser("show", "print a run's history as a table (or JSON lines with --json)")
    _cli_ids.add_target(c)
    c.add_argument(
        "--page-size", type=positive, default=1000, help="events fetched per request (default 1,000; at most 10,000)"
    )
    c.add_argument("--json", action="store_true", help="one JSON document per event, a line each (no table)")
    c.add_argument("--wide", action="store_true", help="do not cut the DETAIL column")
    c.set_defaults(func=workflow_show)

    c = client_parser("list", "list runs, newest first")
    c.add_argument("--status", type=str.upper, choices=STATUSES, default=None, help="any case")
    c.add_argument("--name", default=None, help="only runs of this workflow")
    c.add_argument("--limit", type=positive, default=50)
    c.add_argument("--query", default=None, help="a visibility query instead (docs/search.md)")
    c.set_defaults(func=workflow_list)

    c = client_parser("describe", "what a run is doing, what it waits on, and why it is not moving")
    _cli_ids.add_target(c)
    c.add_argument("--json", action="store_true", help="the description as one JSON document")
    c.set_defaults(func=workflow_describe)

    c = client_parser("query", "ask a running run's query handler; prints its answer (JSON)")
    _cli_ids.add_target(c)
    c.add_argument("name", help="query name")
    c.add_argument("--input", action="append", default=[], help="one JSON value per argument (repeat)")
    c.set_defaults(func=workflow_query)


async def _connect(args: argparse.Namespace) -> Client:
    return await Client.connect(args.server, timeout=5.0, tls=client_tls(args))


def to_json(value: Any) -> str:
    """A dataclass (an event, a description) or payload as one line of JSON."""
    plain = dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value
    return json.dumps(plain, default=_jsonable, ensure_ascii=False, separators=(",", ":"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):  # a payload the client could not decode: no key for it here
        return display(value, ())
    return json.loads(converter.encode(value))


def _cell(value: Any, width: int | None = 40) -> str:
    if isinstance(value, bytes):  # a payload the client could not decode: no key for it here
        value = display(value, ())
    text = value if isinstance(value, str) else converter.encode(value).decode() if value is not None else ""
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


async def workflow_show(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        handle = _cli_ids.handle_of(client, args)
        if args.json:
            async for e in handle.history_events(args.page_size):
                print(to_json(e))
            return 0
        d = await handle.describe()
        print(f"{d.workflow_name}  {d.run_id}  {d.status}  {_duration(d.duration)}{'' if d.close_time else ' so far'}")
        for line in search_lines(d):
            print(line)

        for link, run in (("reset from", d.reset_from), ("reset to", d.reset_to)):
            if run:
                print(f"{link}: {run}")
        header: tuple[str, ...] = ("SEQ", "TIME", "EVENT", "ACTIVITY", "ATTEMPT", "DETAIL")
        width = None if args.wide else DETAIL_WIDTH
        token, first = b"", True
        failed: list[Event] = []
        while first or token:
            # Printed a page at a time: a long history starts to show at once, in bounded memory.
            events, token = await handle.history_page(token, args.page_size)
            rows = [header] if first else []
            rows += [_show_row(e, width) for e in events]
            widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)] if rows else []
            for r in rows:
                print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1])
            first = False
            # Only the failures are kept for their traces: memory stays bounded by what failed.
            failed += [e for e in events if _traced(e)]
    _print_traces(failed)
    return 0


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return str(datetime.timedelta(seconds=round(seconds)))


def _show_row(e: Event, width: int | None = DETAIL_WIDTH) -> tuple[str, ...]:
    when = datetime.datetime.fromtimestamp(e.time).strftime("%H:%M:%S.%f")[:-3]
    attempt = e.attributes.get("attempt")
    tries = f"{attempt}/{e.attributes.get('max_attempts') or '∞'}" if attempt else ""
    return (str(e.seq), when, e.type.value, e.name if e.step_id else "", tries, _cell(_DETAIL[e.type](e), width))


def _failed(e: Event) -> str:
    if e.failure is None:
        return ""
    return e.failure.message + (" (non-retryable)" if e.failure.non_retryable else "")


def _reset_from(e: Event) -> str:
    """A reset's new run names the run and point it was reset from (docs/reset.md)."""
    old = e.attributes.get("reset_from_run_id")
    if not old:
        return ""
    reason = e.attributes.get("reset_reason")
    return f"reset from run {old} at step {e.attributes.get('reset_to_seq')}{f' ({reason})' if reason else ''}; "


def _activity_failed(e: Event) -> str:
    retry_at = e.attributes["retry_at"]
    return _failed(e) + (f" (retry in {max(0.0, retry_at - e.time):.2f}s)" if retry_at else "")


def _succeeded(e: Event) -> str:
    continued_as = e.attributes.get("continued_as")
    return f"continued as {continued_as}" if continued_as else _cell(e.output, None)


_DETAIL: dict[EventType, Callable[[Event], str]] = {
    EventType.WORKFLOW_SCHEDULED: lambda e: _reset_from(e) + _cell(e.input, None),
    EventType.WORKFLOW_STARTED: lambda e: "",
    EventType.WORKFLOW_FINISHED_IN_SUCCESS: _succeeded,
    EventType.WORKFLOW_FINISHED_IN_ERROR: _failed,
    EventType.ACTIVITY_SCHEDULED: lambda e: _cell(e.input, None),
    EventType.ACTIVITY_STARTED: lambda e: "",
    EventType.ACTIVITY_FINISHED_IN_SUCCESS: lambda e: _cell(e.output, None),
    EventType.ACTIVITY_FINISHED_IN_ERROR: _activity_failed,
    EventType.WORKFLOW_TASK_FAILED: _failed,
    EventType.TIMER_STARTED: lambda e: f"fires in {e.attributes['fire_at'] - e.time:g}s",
    EventType.TIMER_FIRED: lambda e: "",
    EventType.WORKFLOW_SIGNALED: lambda e: f"{e.name} {_cell(e.input, None)}",
    EventType.WORKFLOW_CANCEL_REQUESTED: lambda e: e.attributes["reason"],
    EventType.CHILD_WORKFLOW_STARTED: lambda e: f"run {e.attributes.get('child_run_id', '')} {_cell(e.input, None)}",
    EventType.CHILD_WORKFLOW_COMPLETED: lambda e: (
        f"run {e.attributes.get('child_run_id', '')} → {_cell(e.output, None)}"
    ),
    EventType.CHILD_WORKFLOW_FAILED: lambda e: f"run {e.attributes.get('child_run_id', '')}: {_failed(e)}",
    EventType.MARKER_RECORDED: lambda e: (
        f"patch {e.attributes['patch_id']}{' (deprecated)' if e.attributes['deprecated'] else ''}"
    ),
    EventType.UPDATE_ACCEPTED: lambda e: (
        f"{e.name} {_cell(e.input, None)} (update {e.attributes.get('update_id', '')})"
    ),
    EventType.LOCAL_ACTIVITY_RECORDED: lambda e: (
        f"{e.name} attempt {e.attributes['attempts']} → "
        + (f"{_failed(e)} (retry in {e.attributes['backoff']:g}s)" if e.attributes["backoff"] else "")
        + (_failed(e) if e.failure is not None and not e.attributes["backoff"] else "")
        + (_cell(e.output, None) if e.failure is None and not e.attributes["backoff"] else "")
    ),
    EventType.UPDATE_COMPLETED: lambda e: (
        f"{e.name} → {_failed(e) if e.failure is not None else _cell(e.output, None)}"
        f" (update {e.attributes.get('update_id', '')})"
    ),
    EventType.SEARCH_ATTRIBUTES_UPSERTED: lambda e: attributes_cell(e.attributes.get("search_attributes") or {}),
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
        runs = await client.list_workflows(args.status, args.name, args.limit, query=args.query)
    rows = [("RUN ID", "WORKFLOW", "STATUS", "CREATED", "WORKFLOW ID", "SEARCH ATTRIBUTES" if args.query else "")]
    for run in runs:
        created = datetime.datetime.fromtimestamp(run.created_at).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(
            (
                run.run_id,
                run.workflow_name,
                run.status,
                created,
                run.workflow_id,
                attributes_cell(run.search_attributes),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


async def workflow_describe(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        description = await _cli_ids.handle_of(client, args).describe()
    if args.json:
        print(to_json(description))
    else:
        print_description(description)
    return 0


def json_inputs(texts: Sequence[str]) -> list[Any]:
    """The --input values (one JSON value each) as arguments; ValueError names a bad one."""
    inputs = []
    for index, text in enumerate(texts, 1):
        try:
            inputs.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(f"--input #{index} is not valid JSON ({exc.msg}): {text!r}") from None
    return inputs


async def workflow_query(args: argparse.Namespace) -> int:
    inputs = json_inputs(args.input)
    async with await _connect(args) as client:
        answer = await _cli_ids.handle_of(client, args).query(args.name, *inputs)
    sys.stdout.write(converter.encode(answer).decode() + "\n")
    return 0
