"""The deploy gate: ``goblins replay`` replays recent histories (from a live server, or exported
files) against the code about to be deployed, and ``goblins workflow export`` writes a run's
history as a file for it (part of goblins.cli; ``register`` adds both to its parser).

    goblins replay app.workflows --server prod:9075 --since 7d     # exit 1 names each break
    goblins workflow export RUN_ID > run.json
    goblins replay app.workflows --file run.json
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from goblins import _history_json
from goblins._cli_tls import add_client_flags, client_tls
from goblins._definitions import workflow_definition
from goblins._history_json import Events
from goblins._target import import_target
from goblins.client import Client
from goblins.errors import GoblinsError, NondeterminismError
from goblins.history import STATUSES
from goblins.testing import replay

INCOMPATIBLE = 1  # the exit status when a history does not replay (2: a usage error, as elsewhere)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def register(
    sub: Any, client_parser: Callable[[str, str], argparse.ArgumentParser], positive: Callable[[str], int]
) -> None:
    """Add ``goblins replay`` (to ``sub``) and ``goblins workflow export`` (through
    ``client_parser``, which adds --server and the TLS flags; ``positive``: cli's count type)."""
    r = sub.add_parser(
        "replay",
        help="replay recent histories against new code: the deploy gate (exit 1 names each run that would break)",
    )
    r.add_argument("module", help="MODULE or MODULE:WORKER, the code about to be deployed (as for `goblins worker`)")
    r.add_argument("--server", default=None, help="HOST:PORT of the live server whose recent runs to replay")
    r.add_argument(
        "--file", action="append", default=[], help="an exported history (`goblins workflow export`); repeat"
    )
    r.add_argument("--workflow", default=None, help="only runs of this workflow (default: every workflow in MODULE)")
    r.add_argument(
        "--since", type=since_seconds, default=None, help="only runs started this recently: 90s, 30m, 12h, 7d"
    )
    r.add_argument(
        "--status", type=str.upper, choices=STATUSES, default=None, help="only runs in this status (e.g. RUNNING)"
    )
    r.add_argument("--limit", type=positive, default=100, help="at most this many runs from the server (newest first)")
    r.add_argument("--page-size", type=positive, default=1000, help="events fetched per request")
    add_client_flags(r)
    r.set_defaults(func=cmd_replay)

    c = client_parser("export", "write a run's history as JSON (for `goblins replay --file` and goblins.testing)")
    c.add_argument("run_id")
    c.add_argument("--page-size", type=positive, default=1000, help="events fetched per request")
    c.set_defaults(func=workflow_export)


def since_seconds(text: str) -> float:
    """``7d``, ``12h``, ``30m``, ``90s``, ``2w`` or a number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if match is None or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration like 90s, 30m, 12h, 7d or 2w, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@dataclass
class Outcome:
    """What replaying one run found."""

    run_id: str
    workflow: str
    error: str = ""  # why the new code breaks the run ("": it replays)


def workflows_of(target: str) -> dict[str, Callable[..., Any]]:
    """The workflow functions of ``MODULE`` (each @goblins.workflow in it) or ``MODULE:WORKER``
    (that Worker's), by registered name."""
    module, attr = import_target(target)
    module_name = module.__name__
    if attr:
        worker = getattr(module, attr, None)
        registered = getattr(worker, "_workflows", None)
        if not isinstance(registered, dict):
            raise ValueError(f"{target!r} is not a goblins.Worker object")
        return {name: defn.fn for name, defn in registered.items()}
    found = {}
    for member in vars(module).values():
        defn = workflow_definition(member)
        if defn is not None:
            found[defn.name] = member
    if not found:
        raise ValueError(f"module {module_name!r} defines no @goblins.workflow")
    return found


def replay_run(events: Events, workflows: dict[str, Callable[..., Any]]) -> Outcome:
    """Replay one run's history against the workflow of its name."""
    run_id, name = events[0].run_id, events[0].workflow_name
    workflow = workflows.get(name)
    if workflow is None:
        return Outcome(run_id, name, f"workflow {name!r} is not in the code (it has: {', '.join(sorted(workflows))})")
    try:
        replay(events, workflow)
    except NondeterminismError as exc:
        return Outcome(run_id, name, str(exc).removeprefix("NondeterminismError: "))
    except (GoblinsError, ValueError, TypeError) as exc:  # a history the code cannot even read
        return Outcome(run_id, name, f"{type(exc).__name__}: {exc}")
    return Outcome(run_id, name)


async def _server_runs(args: argparse.Namespace, names: Iterable[str]) -> AsyncIterator[Events]:
    async with await Client.connect(args.server, timeout=5.0, tls=client_tls(args), codecs=[]) as client:
        runs = await client.list_workflows(status=args.status, workflow_name=args.workflow, limit=args.limit)
        oldest = time.time() - args.since if args.since else 0.0
        wanted = set(names)
        for run in runs:
            if run.created_at >= oldest and (args.workflow or run.workflow_name in wanted):
                yield await _history_json.fetch(client, run.run_id, args.page_size)


async def cmd_replay(args: argparse.Namespace) -> int:
    if not args.server and not args.file:
        raise ValueError("goblins replay needs --server ADDR (recent runs) or --file FILE (exported histories)")
    workflows = workflows_of(args.module)
    outcomes: list[Outcome] = []
    for path in args.file:
        for events in _history_json.load(path).values():
            if args.workflow is None or events[0].workflow_name == args.workflow:
                outcomes.append(replay_run(events, workflows))
    if args.server:
        async for events in _server_runs(args, workflows):
            outcomes.append(replay_run(events, workflows))
    broken = [o for o in outcomes if o.error]
    for o in broken:
        # A payload this process holds no key for says nothing about the code: named apart.
        verdict = "UNREADABLE" if o.error.startswith("CodecError") else "INCOMPATIBLE"
        print(f"{verdict} run {o.run_id} (workflow {o.workflow}): {o.error}")
    names = sorted({o.workflow for o in outcomes})
    summary = f"{len(outcomes)} run(s) of {len(names)} workflow(s) replayed ({', '.join(names) or 'none'})"
    if broken:
        print(f"{summary}: {len(broken)} would break on this code (or could not be read)", file=sys.stderr)
        return INCOMPATIBLE
    print(f"{summary}: all replay on this code")
    return 0


async def workflow_export(args: argparse.Namespace) -> int:
    async with await Client.connect(args.server, timeout=5.0, tls=client_tls(args), codecs=[]) as client:
        events = await _history_json.fetch(client, args.run_id, args.page_size)
    sys.stdout.write(_history_json.dumps([events]))
    return 0
