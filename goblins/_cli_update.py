"""``goblins workflow update RUN_ID NAME --input JSON...``: run an update handler of a run and
print its result (part of goblins.cli, kept apart; ``register`` adds it to the parser)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from goblins import converter
from goblins._cli_workflow import _connect, json_inputs


def register(client_parser: Callable[[str, str], argparse.ArgumentParser]) -> None:
    c = client_parser("update", "run a run's update handler (validated first); prints its result (JSON)")
    c.add_argument("run_id")
    c.add_argument("name", help="update name")
    c.add_argument("--input", action="append", default=[], help="one JSON value per argument (repeat)")
    c.add_argument("--update-id", default=None, help="the update's id: sent again, it runs once (default: random)")
    c.set_defaults(func=workflow_update)


async def workflow_update(args: argparse.Namespace) -> int:
    inputs = json_inputs(args.input)
    async with await _connect(args) as client:
        handle = client.get_workflow_handle(args.run_id)
        answer = await handle.execute_update(args.name, *inputs, update_id=args.update_id)
    sys.stdout.write(converter.encode(answer).decode() + "\n")
    return 0
