"""What the engine loop's queue carries: starts, reports, registrations, resumes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping

from goblins.api import v1 as pb


@dataclasses.dataclass
class _Start:
    workflow_name: str
    payload: bytes
    run_id: str
    reply: asyncio.Future[bool] | None
    ack: Callable[[], None] | None = None
    fresh: bool = False  # a server-generated id: no stored run can have it, no lookup needed
    parent_run_id: str = ""  # a child workflow's parent, and the parent's step
    parent_step: str = ""
    done_task: str = ""  # the message task that carried this start (deleted with the turn)
    execution_timeout: float = 0.0
    signal: pb.SignalWorkflow | None = None  # signal-with-start: recorded in the start's turn
    trace_context: Mapping[str, str] = dataclasses.field(default_factory=dict)  # opaque (tracing)
    flow: tuple[str, int] = ("", 0)  # its task queue and priority (docs/task-queues.md)
    request: pb.StartWorkflowRequest | None = None  # its search attributes and memo
    workflow_id: str = ""
    reset: pb.ResetWorkflowRequest | None = None  # a reset's new run (server/reset.py)
    reset_events: list[pb.HistoryEvent] | None = None  # its history, read before the turn decides


@dataclasses.dataclass
class _Resume:
    run_ids: list[str]


@dataclasses.dataclass
class _Report:
    report: pb.Report
    ack: Callable[[], None] | None  # tells the sender the report's effects are durable
    done_task: str = ""  # the message task that carried this report (deleted with the turn)


@dataclasses.dataclass
class _Register:
    names: list[tuple[str, str]]
    reply: asyncio.Future[None]


Item = _Start | _Report | _Register | _Resume


def _describe(item: Item) -> str:
    if isinstance(item, _Report):
        return f"report {item.report.WhichOneof('kind')} of run {_run_id_of(item.report)}"
    if isinstance(item, _Start):
        return f"start of run {item.run_id}"
    return type(item).__name__.lstrip("_").lower()


def _run_id_of(report: pb.Report) -> str:
    which = report.WhichOneof("kind")
    return getattr(report, which).run_id if which else ""


def _start_signal(r: pb.StartWorkflowRequest) -> pb.SignalWorkflow | None:
    """A signal-with-start's signal, or None for a plain start."""
    if not r.start_signal:
        return None
    return pb.SignalWorkflow(
        run_id=r.run_id, name=r.start_signal, input=r.start_signal_input, signal_id=r.start_signal_id
    )
