"""What ``Client.list_workflows_page`` and ``Client.list_workers`` answer: a page of runs with
the token of the next, and the workers connected to a cluster."""

from __future__ import annotations

import base64
import dataclasses
import datetime
from typing import TYPE_CHECKING

from goblins.api import v1 as pb

if TYPE_CHECKING:
    from goblins.client import RunInfo

# Slots and tasks in hand a server cannot see (distributed mode: workers read Kafka directly).
UNKNOWN = -1


@dataclasses.dataclass(frozen=True)
class RunPage:
    """One page of ``Client.list_workflows_page``: runs newest first."""

    runs: list[RunInfo]
    next_page_token: str
    """The next call's ``page_token`` (empty: this is the last page)."""


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """One connected worker."""

    worker_id: str
    """The worker's id (distributed mode: its Kafka client id)."""
    workflows: tuple[str, ...]
    activities: tuple[str, ...]
    tasks_in_flight: int
    """Tasks handed to it and not yet reported (``UNKNOWN``, -1: this server cannot tell)."""
    free_activity_slots: int
    """How many more activity tasks it said it can take (-1: unknown)."""
    free_workflow_slots: int
    host: str = ""
    """Where it connects from, when the transport says (a Kafka member's host)."""


@dataclasses.dataclass(frozen=True)
class WorkerList:
    """The workers connected now, as one server sees them."""

    workers: tuple[WorkerInfo, ...]
    transport: str
    """``"embedded"`` (the server's worker sessions) or ``"kafka"`` (the consumer group)."""
    missing: str = ""
    """What the server cannot tell about them, in one line (empty: nothing)."""


def list_request(
    status: str | None,
    workflow_name: str | None,
    limit: int,
    page_token: str,
    created_after: float | datetime.datetime | None,
    created_before: float | datetime.datetime | None,
) -> pb.ListWorkflowsRequest:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be an int >= 1, got {limit!r}")
    try:
        token = base64.urlsafe_b64decode(page_token.encode()) if page_token else b""
    except ValueError:
        raise ValueError("page_token is not a next_page_token of list_workflows_page") from None
    return pb.ListWorkflowsRequest(
        status=(status or "").upper(),
        workflow_name=workflow_name or "",
        limit=limit,
        page_token=token,
        created_after=_epoch(created_after),
        created_before=_epoch(created_before),
    )


def next_token(resp: pb.ListWorkflowsResponse) -> str:
    return base64.urlsafe_b64encode(resp.next_page_token).decode() if resp.next_page_token else ""


def worker_list(resp: pb.ListWorkersResponse) -> WorkerList:
    workers = tuple(
        WorkerInfo(
            w.worker_id,
            tuple(w.workflows),
            tuple(w.activities),
            w.tasks_in_flight,
            w.free_activity_slots,
            w.free_workflow_slots,
            w.host,
        )
        for w in resp.workers
    )
    return WorkerList(workers, resp.transport, resp.missing)


def _epoch(t: float | datetime.datetime | None) -> float:
    if t is None:
        return 0.0
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            raise ValueError(f"a time bound needs a time zone, got {t!r}")
        return t.timestamp()
    return float(t)
