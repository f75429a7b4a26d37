"""The CLI's workflow ids: every command that names a run takes a workflow id (or a run id),
with ``--run-id`` to pick one execution; ``workflow start`` takes ``--id`` and the policies."""

from __future__ import annotations

import argparse
from typing import Any

from goblins._workflow_ids import IdConflictPolicy, IdReusePolicy
from goblins.client import Client, WorkflowHandle


def add_target(c: argparse.ArgumentParser) -> None:
    c.add_argument("run_id", metavar="ID", help="a workflow id (its current run), or a run id")
    c.add_argument("--run-id", dest="exact_run", default=None, help="this execution of the workflow id alone")


def handle_of(client: Client, args: argparse.Namespace) -> WorkflowHandle[Any]:
    return client.get_workflow_handle(args.run_id, run_id=getattr(args, "exact_run", None))


def add_start_flags(c: argparse.ArgumentParser) -> None:
    c.add_argument("--id", default=None, help="workflow id: your business key (default: the run id)")
    c.add_argument(
        "--id-reuse-policy",
        type=str.upper,
        choices=list(IdReusePolicy.__members__),
        default=None,
        help="when the id's latest run is closed (default ALLOW_DUPLICATE)",
    )
    c.add_argument(
        "--id-conflict-policy",
        type=str.upper,
        choices=list(IdConflictPolicy.__members__),
        default=None,
        help="when the id has a running run (default FAIL)",
    )


def start_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"id": args.id, "id_reuse_policy": args.id_reuse_policy, "id_conflict_policy": args.id_conflict_policy}
