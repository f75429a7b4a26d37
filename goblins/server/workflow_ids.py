"""Workflow ids: a caller's business key over the runs of one workflow, one running at a time.

The store keeps one row per id that was started with ``id=`` (the id's current run, claimed
atomically: ``RunIndex.claim_workflow_id``); a run started without one has its own run id as
its workflow id and no row. Continue-as-new does not touch the row: whoever resolves the id
follows the chain from the row's run (``continued_as`` in each run's last event) and moves
the row forward to the newest run it found, so the next resolution starts there.

The id policies (Temporal's) decide a start when the id has a run:
- its newest run is running: ``id_conflict_policy`` FAIL (refuse), USE_EXISTING (answer with
  that run), TERMINATE_EXISTING (claim the id for the new run, then terminate the old one);
- its newest run is closed: ``id_reuse_policy`` ALLOW_DUPLICATE, ALLOW_DUPLICATE_FAILED_ONLY
  (refuse if it COMPLETED), REJECT_DUPLICATE (refuse).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from goblins.api import v1 as pb
from goblins.history import COMPLETED, RUNNING, WORKFLOW_SUCCEEDED
from goblins.server.loop import EventLoop
from goblins.server.ports import RunIndex
from goblins.wire import status_of

# A claimed run with no event yet is on its way to its owner (or was lost with a server that
# crashed between the claim and the start): it counts as running for this long.
CLAIM_GRACE = 60.0
MAX_HOPS = 100_000  # a continue-as-new chain longer than this is followed no further
MAX_CLAIMS = 20  # a start that lost this many claims in a row gives up (the id is contended)
TERMINATED_BY_START = "terminated by a start of its workflow id (id_conflict_policy TERMINATE_EXISTING)"


class AlreadyStarted(Exception):
    """The id's policies refuse the start; ``run_id`` is the id's existing run."""

    def __init__(self, workflow_id: str, run_id: str, why: str) -> None:
        super().__init__(why)
        self.workflow_id, self.run_id = workflow_id, run_id


@dataclasses.dataclass
class Current:
    row: str | None  # the run the id's row names (None: no row)
    run_id: str  # the newest run of the id (the row's run, or the id itself, followed)
    status: str | None  # its status; None: it has no event (not started, or never will be)


class WorkflowIds:
    def __init__(
        self, index: RunIndex, loop: EventLoop, last_event: Callable[[str], Awaitable[pb.HistoryEvent | None]]
    ):
        self.index = index
        self.loop = loop
        self.last_event = last_event

    async def current(self, workflow_id: str) -> Current:
        row = await self.index.workflow_id_row(workflow_id)
        base = row[0] if row else workflow_id
        run_id, status = base, None
        for _ in range(MAX_HOPS):
            rs = self.loop.run(run_id)
            if rs is not None and not rs.finished:
                status = RUNNING
                break
            last = await self.last_event(run_id)
            if last is None:
                status = None
                break
            if last.type == WORKFLOW_SUCCEEDED and last.workflow_finished_in_success.continued_as:
                run_id = last.workflow_finished_in_success.continued_as
                continue
            status = status_of(last) or RUNNING
            break
        if status is None and row is not None and self.loop.clock() - row[1] < CLAIM_GRACE:
            status = RUNNING  # claimed a moment ago: its start is on its way
        if row is not None and run_id != base:  # move the row along the chain (best effort)
            await self.index.claim_workflow_id(workflow_id, run_id, base, self.loop.clock())
        return Current(row[0] if row else None, run_id, status)

    async def resolve(self, workflow_id: str, run_id: str) -> str:
        """The run a request names: ``run_id`` itself, else the workflow id's newest run."""
        if run_id or not workflow_id:
            return run_id
        return (await self.current(workflow_id)).run_id

    async def claim(self, request: pb.StartWorkflowRequest, run_id: str) -> tuple[str, bool, str]:
        """Decide a start under ``request.workflow_id``: (the run to start or answer with,
        whether it is new, the run to terminate or ""); raises AlreadyStarted."""
        wid = request.workflow_id
        for _ in range(MAX_CLAIMS):
            cur = await self.current(wid)
            if cur.run_id == run_id:  # the same start again (a chosen run id): idempotent
                if cur.row == run_id:  # claimed again: a start cut short after its claim links the run
                    await self.index.claim_workflow_id(wid, run_id, run_id, self.loop.clock())
                return run_id, True, ""
            victim = ""
            if cur.status == RUNNING:
                conflict = request.id_conflict_policy
                if conflict == pb.ID_CONFLICT_USE_EXISTING:
                    return cur.run_id, False, ""
                if conflict != pb.ID_CONFLICT_TERMINATE_EXISTING:
                    raise AlreadyStarted(wid, cur.run_id, f"workflow id {wid!r} has a running run {cur.run_id}")
                victim = cur.run_id
            elif cur.status is not None:
                reuse = request.id_reuse_policy
                if reuse == pb.ID_REUSE_REJECT_DUPLICATE or (
                    reuse == pb.ID_REUSE_ALLOW_DUPLICATE_FAILED_ONLY and cur.status == COMPLETED
                ):
                    raise AlreadyStarted(
                        wid, cur.run_id, f"workflow id {wid!r} was used by run {cur.run_id} ({cur.status})"
                    )
            if await self.index.claim_workflow_id(wid, run_id, cur.row, self.loop.clock()):
                return run_id, True, victim
        raise AlreadyStarted(wid, "", f"workflow id {wid!r} is contended: {MAX_CLAIMS} claims lost in a row")

    async def of_runs(self, runs: list[pb.RunInfo]) -> None:
        """Fill in each run's workflow id (a continued run's is its chain's first run's)."""
        firsts = {r.run_id: r.run_id.partition("~")[0] for r in runs}
        ids = await self.index.workflow_ids_of(sorted(set(firsts.values())))
        for r in runs:
            first = firsts[r.run_id]
            r.workflow_id = ids.get(first, first)
