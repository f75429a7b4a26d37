"""What ``Client.list_workflows_page`` and ``Client.list_workers`` answer: a page of runs with
the token of the next, and the workers connected to a cluster."""

from __future__ import annotations

import base64
import dataclasses
import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goblins._handle import RunInfo

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
    task_queue: str = "default"
    """The task queue it polls (docs/task-queues.md)."""


@dataclasses.dataclass(frozen=True)
class WorkerList:
    """The workers connected now, as one server sees them."""

    workers: tuple[WorkerInfo, ...]
    transport: str
    """``"embedded"`` (the server's worker sessions) or ``"kafka"`` (the consumer group)."""
    missing: str = ""
    """What the server cannot tell about them, in one line (empty: nothing)."""


def token_bytes(page_token: str) -> bytes:
    """A ``next_page_token`` as the server takes it."""
    try:
        return base64.urlsafe_b64decode(page_token.encode()) if page_token else b""
    except ValueError:
        raise ValueError("page_token is not a next_page_token of list_workflows_page") from None


def token_text(token: bytes) -> str:
    return base64.urlsafe_b64encode(token).decode() if token else ""


def epoch(t: float | datetime.datetime | None) -> float:
    """A time bound as epoch seconds (0: none)."""
    if t is None:
        return 0.0
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            raise ValueError(f"a time bound needs a time zone, got {t!r}")
        return t.timestamp()
    return float(t)
