"""``goblins task-queue set|list|describe``, and the ``--task-queue``/``--priority`` flags of
``goblins worker`` and ``goblins workflow start`` (docs/task-queues.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from goblins._cli_tls import add_client_flags, client_tls
from goblins._client_queues import TaskQueueInfo


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            found: argparse.ArgumentParser = action.choices[name]
            return found
    raise KeyError(name)


def register(sub: Any, server_default: str) -> None:
    """Add ``goblins task-queue`` to ``sub`` (the parser's subparsers), and the queue flags of
    ``worker`` and ``workflow start``."""
    sub.choices["worker"].add_argument(
        "--task-queue", default=None, help="take only this task queue's tasks (default: default)"
    )
    start = _subparser(sub.choices["workflow"], "start")
    start.add_argument("--task-queue", default=None, help="the run's task queue (default: default)")
    start.add_argument("--priority", type=int, default=None, choices=range(1, 6), help="1 (lowest) to 5 (highest)")

    tq = sub.add_parser("task-queue", help="set and show task queues' limits (docs/task-queues.md)")
    tsub = tq.add_subparsers(dest="action", required=True)

    def client_parser(name: str, help: str) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = tsub.add_parser(name, help=help)
        c.add_argument("--server", default=server_default, help="HOST:PORT")
        add_client_flags(c)
        return c

    c = client_parser("set", "set a queue's limits, enforced across all workers (0: no limit)")
    c.add_argument("name")
    c.add_argument("--max-concurrent", type=int, default=None, help="tasks in flight at once")
    c.add_argument("--rate", type=float, default=None, help="tasks started per second")
    c.add_argument("--max-per-key", type=int, default=None, help="tasks in flight per concurrency key")
    c.add_argument("--reset", action="store_true", help="remove the queue's limits")
    c.set_defaults(func=lambda a: asyncio.run(_set(a)))
    c = client_parser("list", "the queues with limits, tasks or workers")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=lambda a: asyncio.run(_list(a, "")))
    c = client_parser("describe", "one queue: its limits, tasks in flight and waiting, workers")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=lambda a: asyncio.run(_list(a, a.name)))


def start_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``start_workflow`` keywords of ``goblins workflow start``'s queue flags."""
    return {"task_queue": getattr(args, "task_queue", None), "priority": getattr(args, "priority", None)}


async def _connect(args: argparse.Namespace) -> Any:
    from goblins.client import Client

    return await Client.connect(args.server, timeout=5.0, tls=client_tls(args))


def _line(q: TaskQueueInfo) -> str:
    limits = [
        f"max_concurrent={q.max_concurrent}" if q.max_concurrent else "",
        f"rate={q.rate_per_second:g}/s" if q.rate_per_second else "",
        f"max_per_key={q.max_per_key}" if q.max_per_key else "",
    ]
    shown = " ".join(x for x in limits if x) or "no limits"
    workers = f" workers={','.join(q.workers)}" if q.workers else ""
    return f"{q.name}\t{shown}\tin_flight={q.in_flight} waiting={q.waiting}{workers}"


async def _set(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        q = await client.set_task_queue(
            args.name,
            max_concurrent=args.max_concurrent,
            rate_per_second=args.rate,
            max_per_key=args.max_per_key,
            reset=args.reset,
        )
        print(_line(q))
    return 0


async def _list(args: argparse.Namespace, name: str) -> int:
    async with await _connect(args) as client:
        queues = await client.list_task_queues(name)
    if name and not queues:
        print(f"{name}\tno limits\tin_flight=0 waiting=0")
        return 0
    for q in queues:
        print(json.dumps(q.__dict__ | {"workers": list(q.workers)}) if args.json else _line(q))
    return 0
