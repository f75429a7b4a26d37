"""``goblins schedule create|list|describe|pause|unpause|trigger|backfill|delete``."""

from __future__ import annotations

import argparse
import datetime
import json
import os
from typing import Any

from goblins._cli_tls import add_client_flags, client_tls
from goblins._cli_workflow import json_inputs
from goblins._schedules import ScheduleDescription, ScheduleOverlap, as_dict
from goblins.client import Client

OVERLAPS = [o.value for o in ScheduleOverlap]


def _server_default() -> str:
    return os.environ.get("GOBLINS_SERVER", "localhost:9075")


def _when(text: str) -> datetime.datetime:
    """An ISO time (a naive one is UTC) or a number of seconds since the epoch."""
    try:
        return datetime.datetime.fromtimestamp(float(text), datetime.UTC)
    except ValueError:
        pass
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time or epoch seconds: {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 seconds, got {text!r}")
    return value


def register(sub: Any) -> None:
    sp = sub.add_parser("schedule", help="start workflows on a calendar: create, list, describe, pause, ...")
    ssub = sp.add_subparsers(dest="action", required=True)

    def command(name: str, help: str, with_id: bool = True) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = ssub.add_parser(name, help=help)
        c.add_argument(
            "--server", default=_server_default(), help="HOST:PORT (default $GOBLINS_SERVER or localhost:9075)"
        )
        add_client_flags(c)
        if with_id:
            c.add_argument("schedule_id", metavar="ID")
        return c

    c = command("create", "create a schedule")
    c.add_argument("workflow", help="workflow name")
    c.add_argument("--input", action="append", default=[], help="one JSON value per argument (repeat)")
    when = c.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", default=None, help='5-field cron expression, e.g. "0 * * * *"')
    when.add_argument("--every", type=_seconds, default=None, metavar="SECONDS")
    c.add_argument("--timezone", default=None, help="IANA zone of --cron (default UTC), e.g. Europe/Paris")
    c.add_argument("--start-at", type=_when, default=None, metavar="TIME")
    c.add_argument("--end-at", type=_when, default=None, metavar="TIME")
    c.add_argument("--jitter", type=_seconds, default=None, metavar="SECONDS")
    c.add_argument("--overlap", type=str.upper, choices=OVERLAPS, default=None, help="default SKIP")
    c.add_argument("--catchup-window", type=_seconds, default=None, metavar="SECONDS", help="default a year")
    c.add_argument("--execution-timeout", type=_seconds, default=None, metavar="SECONDS")
    c.add_argument("--paused", action="store_true")
    c.add_argument("--note", default="")
    c.set_defaults(func=schedule_create)

    c = command("list", "list schedules", with_id=False)
    c.add_argument("--json", action="store_true", help="one JSON document per schedule, a line each")
    c.set_defaults(func=schedule_list)

    c = command("describe", "a schedule's spec, state, recent and next actions")
    c.add_argument("--json", action="store_true", help="the description as one JSON document")
    c.set_defaults(func=schedule_describe)

    for name, help in (("pause", "start no action until unpaused"), ("unpause", "start actions again")):
        c = command(name, help)
        c.add_argument("--note", default="")
        c.set_defaults(func=schedule_pause)

    c = command("trigger", "start an action now")
    c.add_argument("--overlap", type=str.upper, choices=OVERLAPS, default=None, help="default: the schedule's")
    c.set_defaults(func=schedule_trigger)

    c = command("backfill", "start the actions of the scheduled times in [START, END]")
    c.add_argument("start", type=_when, help="ISO time (naive: UTC) or epoch seconds")
    c.add_argument("end", type=_when)
    c.add_argument("--overlap", type=str.upper, choices=OVERLAPS, default=None, help="default: the schedule's")
    c.set_defaults(func=schedule_backfill)

    c = command("delete", "delete a schedule (its runs are left alone)")
    c.set_defaults(func=schedule_delete)


async def _connect(args: argparse.Namespace) -> Client:
    return await Client.connect(args.server, timeout=5.0, tls=client_tls(args))


async def schedule_create(args: argparse.Namespace) -> int:
    inputs = json_inputs(args.input)
    async with await _connect(args) as client:
        await client.create_schedule(
            args.schedule_id,
            args.workflow,
            *inputs,
            cron=args.cron,
            every=args.every,
            timezone=args.timezone,
            start_at=args.start_at,
            end_at=args.end_at,
            jitter=args.jitter,
            overlap=args.overlap,
            catchup_window=args.catchup_window,
            execution_timeout=args.execution_timeout,
            paused=args.paused,
            note=args.note,
        )
    print(f"created schedule {args.schedule_id}")
    return 0


def to_json(d: ScheduleDescription) -> str:
    """One line of JSON: times in ISO 8601, durations in seconds."""
    return json.dumps(as_dict(d), ensure_ascii=False, separators=(",", ":"))


def _iso(t: datetime.datetime | None) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "-"


def _calendar(d: ScheduleDescription) -> str:
    if d.cron:
        return f"cron {d.cron!r} {d.timezone}"
    assert d.every is not None
    return f"every {d.every.total_seconds():g}s"


async def schedule_list(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        found = await client.list_schedules()
    if args.json:
        for d in found:
            print(to_json(d))
        return 0
    rows = [("ID", "WORKFLOW", "WHEN", "OVERLAP", "STATE", "ACTIONS", "NEXT")]
    for d in found:
        nxt = _iso(d.next_action_times[0]) if d.next_action_times else "-"
        state = "paused" if d.paused else "active"
        rows.append((d.id, d.workflow_name, _calendar(d), d.overlap.value, state, str(d.actions), nxt))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


async def schedule_describe(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        d = await client.get_schedule_handle(args.schedule_id).describe()
    if args.json:
        print(to_json(d))
        return 0
    print(f"schedule {d.id}: {d.workflow_name}, {_calendar(d)}, overlap {d.overlap.value}")
    print(f"  state: {'paused' if d.paused else 'active'}{f' ({d.note})' if d.note else ''}")
    print(f"  actions {d.actions}, skipped {d.skipped}, missed {d.missed} (catch-up window {d.catchup_window})")
    if d.running:
        print(f"  running: {', '.join(d.running)}")
    if d.buffered:
        print(f"  buffered: {', '.join(_iso(t) for t in d.buffered)}")
    print("  next: " + (", ".join(_iso(t) for t in d.next_action_times) or "-"))
    print("  recent:")
    for a in d.recent_actions:
        outcome = a.status or f"not started: {a.error}"
        print(f"    {_iso(a.scheduled_time)}  {a.workflow_id}  {a.run_id or '-'}  {outcome}")
    return 0


async def schedule_pause(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        handle = client.get_schedule_handle(args.schedule_id)
        await (handle.pause(args.note) if args.action == "pause" else handle.unpause(args.note))
    print(f"{args.action}d schedule {args.schedule_id}")
    return 0


async def schedule_trigger(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        await client.get_schedule_handle(args.schedule_id).trigger(args.overlap)
    print(f"triggered schedule {args.schedule_id}")
    return 0


async def schedule_backfill(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        await client.get_schedule_handle(args.schedule_id).backfill(args.start, args.end, args.overlap)
    print(f"backfilled schedule {args.schedule_id} from {_iso(args.start)} to {_iso(args.end)}")
    return 0


async def schedule_delete(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        await client.get_schedule_handle(args.schedule_id).delete()
    print(f"deleted schedule {args.schedule_id}")
    return 0
