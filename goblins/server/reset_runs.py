"""The ResetWorkflow request (docs/reset.md): checks, the workflow id's move, the old run's end.

Any server may take the request; what it does reaches the runs' owners the way other control
requests do: the old run's termination is a report through the router (the run's owner records
it), the new run a start through the router (its owner copies the history, server/reset_plans.py).

1. The run: the request's run id, else its workflow id's current run; its history is read and
   the point checked (``server/reset.py``: one error naming the valid points).
2. The workflow id moves to a new run id by one conditional claim (``RunIndex.claim_workflow_id``:
   SQLite BEGIN IMMEDIATE, a Cassandra LWT) from the run the id names: of two concurrent resets
   one wins, the other is refused (the id then has a running run that is not the one it names).
3. The old run, if running, is terminated with a link to the new one; the server waits (a few
   seconds at most) for the termination to be recorded, so the signals it received are copied.
4. The new run is started through the router, carrying the reset (``StartWorkflowRequest.reset``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from goblins.api import v1 as pb
from goblins.history import FINISHED, RUNNING, SIGNALED
from goblins.server.checks import MAX_REASON
from goblins.server.reset import BadResetPoint, check_point, last_workflow_task_point
from goblins.server.runs import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    _refuse_engine_fields,
    _refuse_long,
    new_id,
)

if TYPE_CHECKING:
    from goblins.server.runs import Runs

MAX_CLAIMS = 3  # a claim lost to the id's own bookkeeping (a chain moved along) is tried again
END_WAIT = 10.0  # seconds the reset waits for the old run's termination to be recorded


def _check(request: pb.ResetWorkflowRequest) -> None:
    _refuse_long(("run_id", request.run_id), ("workflow_id", request.workflow_id))
    _refuse_long(("reason", request.reason), limit=MAX_REASON)
    _refuse_engine_fields(request)
    if request.to_seq < 0:
        raise InvalidArgument(f"to_seq must be a positive step number, got {request.to_seq}")
    if bool(request.to_seq) == request.to_last_workflow_task:
        raise InvalidArgument("a reset needs exactly one point: to_seq (a step) or to_last_workflow_task")
    if not (request.run_id or request.workflow_id):
        raise InvalidArgument("a reset needs a workflow id or a run id")


async def _workflow_id(runs: Runs, run_id: str, first: pb.HistoryEvent) -> str:
    """The run's workflow id: recorded in its start (newer runs), else the id row's, else its
    chain's first run id."""
    if first.workflow_scheduled.workflow_id:
        return first.workflow_scheduled.workflow_id
    base = run_id.partition("~")[0]
    return (await runs.mode.index.workflow_ids_of([base])).get(base, base)


async def _claim(runs: Runs, workflow_id: str, old: str, new: str) -> None:
    for _ in range(MAX_CLAIMS):
        cur = await runs.ids.current(workflow_id)
        if cur.run_id != old and cur.status == RUNNING:
            raise FailedPrecondition(
                f"workflow id {workflow_id!r} has a running run {cur.run_id}, not {old} (a concurrent reset "
                f"or start moved it): nothing was reset; reset {cur.run_id} or wait for it to end"
            )
        if await runs.mode.index.claim_workflow_id(workflow_id, new, cur.row, runs.loop.clock()):
            return
    raise FailedPrecondition(
        f"workflow id {workflow_id!r} is contended (a concurrent reset or start): nothing was reset"
    )


async def _history(runs: Runs, run_id: str) -> list[pb.HistoryEvent]:
    """The run's history; a run unknown to the store may still be on its way (the router's grace)."""
    loop = asyncio.get_running_loop()
    give_up, delay = loop.time() + runs.router.not_found_grace, 0.05
    while True:
        events = await runs.store.history(run_id)
        if events or loop.time() >= give_up:
            return events or []
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def _running(runs: Runs, run_id: str) -> bool:
    rs = runs.loop.run(run_id)
    if rs is not None:
        return not rs.finished
    last = await runs.store.last_event(run_id)
    return last is not None and last.type not in FINISHED


async def _end_old(runs: Runs, old: str, new: str, reason: str) -> None:
    """Terminate the old run (linked to the new one) and wait for the termination's record."""
    why = f"reset: run {new} carries on from here" + (f" ({reason})" if reason else "")
    cancel = pb.CancelWorkflow(run_id=old, terminate=True, reason=why, reset_to_run_id=new)
    try:
        await runs._control(old, pb.Report(cancel_workflow=cancel))
    except FailedPrecondition:
        return  # it ended meanwhile
    loop = asyncio.get_running_loop()
    give_up, delay = loop.time() + END_WAIT, 0.02
    while loop.time() < give_up and await _running(runs, old):
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def reset(runs: Runs, request: pb.ResetWorkflowRequest) -> pb.ResetWorkflowResponse:
    """Serve a ResetWorkflow request; returns the new run."""
    _check(request)
    runs.loop.refuse_in_outage()
    old = await runs._resolve(request.workflow_id, request.run_id)
    events = await _history(runs, old)
    if not events and old != (request.run_id or request.workflow_id):  # the id names a run not started yet
        raise FailedPrecondition(
            f"workflow id {request.workflow_id!r} names run {old}, which is starting (a concurrent reset or "
            f"start): nothing was reset"
        )
    if not events:
        raise NotFound(f"no workflow run with id {old!r}")
    first = events[0]
    if first.workflow_scheduled.parent_run_id:
        raise FailedPrecondition(
            f"run {old} is a child workflow of {first.workflow_scheduled.parent_run_id}: reset its parent instead"
        )
    try:
        to_seq = request.to_seq or last_workflow_task_point(events)
        check_point(events, to_seq)
    except BadResetPoint as bad:
        raise InvalidArgument(f"run {old}: {bad}") from None
    workflow_id = await _workflow_id(runs, old, first)
    new = new_id()
    await _claim(runs, workflow_id, old, new)
    if await _running(runs, old):
        await _end_old(runs, old, new, request.reason)
        events = await runs.store.history(old) or events  # the signals it got until its end
    scheduled = first.workflow_scheduled
    start = pb.StartWorkflowRequest(
        workflow_name=first.workflow_name,
        input=scheduled.input,  # a start afresh, should the copy ever fail at the owner
        run_id=new,
        workflow_id=workflow_id,
        execution_timeout=scheduled.execution_timeout,
    )
    start.trace_context.update(scheduled.trace_context)
    start.reset.CopyFrom(
        pb.ResetWorkflowRequest(
            run_id=old,
            to_seq=to_seq,
            reason=request.reason,
            drop_signals=request.drop_signals,
            new_workflow_id=workflow_id,
        )
    )
    await runs.router.start(start, fresh=False)
    signals = 0 if request.drop_signals else sum(1 for e in events[to_seq:] if e.type == SIGNALED)
    return pb.ResetWorkflowResponse(
        run_id=new, workflow_id=workflow_id, to_seq=to_seq, reset_run_id=old, signals_reapplied=signals
    )
