"""``goblins workflow reset ID --to-step N | --to-last-workflow-task``: a new run of the workflow id
from a point of a run's history (docs/reset.md). Part of goblins.cli, kept apart; ``register``
adds it to the parser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from goblins import _cli_ids
from goblins._cli_workflow import _connect


def register(client_parser: Callable[[str, str], argparse.ArgumentParser]) -> None:
    c = client_parser(
        "reset", "start a new run of the workflow id from a step of a run's history; the old run, if running, ends"
    )
    _cli_ids.add_target(c)
    point = c.add_mutually_exclusive_group(required=True)
    point.add_argument(
        "--to-step",
        type=int,
        metavar="N",
        help="the seq of the event to copy the history through, as `goblins workflow show` numbers them "
        "(a workflow-task boundary; a bad one is refused with the valid ones)",
    )
    point.add_argument(
        "--to-last-workflow-task",
        action="store_true",
        help="the point before the newest workflow task's decisions: that task runs again",
    )
    c.add_argument("--reason", default="", help="why (recorded in both runs)")
    c.add_argument(
        "--drop-signals", action="store_true", help="do not re-apply the signals the run got after the point"
    )
    c.set_defaults(func=workflow_reset)


async def workflow_reset(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        handle = _cli_ids.handle_of(client, args)
        new = await handle.reset(
            to_step=args.to_step,
            to_last_workflow_task=args.to_last_workflow_task,
            reason=args.reason,
            reapply_signals=not args.drop_signals,
        )
    sys.stdout.write(f"reset: new run {new.run_id} of workflow id {new.id}\n")
    return 0
