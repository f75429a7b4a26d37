"""Activities in the distributed mode across a cancel and a worker kill -9: the cancel reaches a
running attempt through its heartbeats (the worker asks the server, CheckTasks, whether the
attempt is still wanted), and a cleanup activity resumes from its checkpoint on another worker
(workflows: tests/e2e/wf_more.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from distributed_support import DistributedCluster
from e2e_support import async_wait_until, lines, texts

import goblins

pytestmark = [pytest.mark.e2e, pytest.mark.distributed]


async def test_cancel_stops_the_running_attempt_and_the_cleanup_survives_a_worker_kill(
    dcluster: DistributedCluster, tmp_path: Path
) -> None:
    log = tmp_path / "marks.log"
    steps = 30  # the cleanup: 30 steps of 0.1 s, a checkpoint every 0.5 s
    dcluster.start_server()
    first = dcluster.start_worker("wf_more")
    async with await dcluster.client() as client:
        handle = await client.start_workflow("long_job", str(log), steps)
        await async_wait_until(lambda: "beating attempt 1" in texts(log), 60, "the activity to run")
        t0 = time.monotonic()
        await handle.cancel("stop it")
        # The run goes on (its cleanup), so only the cancel can stop the attempt: not the run's end.
        await async_wait_until(lambda: ("told to stop", first.pid) in lines(log), 20, "the activity to be told")
        told_in = time.monotonic() - t0
        await async_wait_until(lambda: sum(t.startswith("wound ") for t in texts(log)) >= 8, 30, "the cleanup")
        first.kill9()
        second = dcluster.start_worker("wf_more")
        with pytest.raises(goblins.WorkflowCancelled):
            await handle.result(timeout=120)
        events = await handle.history()
    marks = lines(log)
    assert [t for t, _ in marks if t.startswith("beating")] == ["beating attempt 1"], "retried after the cancel"
    assert [m for m in marks if m[0] == "told to stop"] == [("told to stop", first.pid)]
    starts = [(t, pid) for t, pid in marks if t.startswith("winding down from ")]
    assert starts[0] == ("winding down from 0", first.pid) and len(starts) == 2, starts
    resumed_at = int(starts[1][0].rsplit(" ", 1)[1])
    assert starts[1][1] == second.pid and resumed_at > 0, "the cleanup did not resume from its checkpoint"
    wound = [int(t.split()[1]) for t, _ in marks if t.startswith("wound ") and t != "wound down"]
    assert sorted(set(wound)) == list(range(steps))
    assert [m for m in marks if m[0] == "wound down"] == [("wound down", second.pid)]
    # Stopped by the cancel (the worker's report), not timed out for want of heartbeats.
    beating = [e for e in events if e.activity_name == "beating"]
    assert beating[-1].type.value == "ACTIVITY_FINISHED_IN_ERROR" and not beating[-1].retry_at
    assert beating[-1].error_type == "CancelledError", beating[-1].error
    types = [e.type.value for e in events]
    assert types.count("WORKFLOW_CANCEL_REQUESTED") == 1 and events[-1].error_type == "WorkflowCancelled"
    print(
        f"distributed: cancel reached the running attempt in {told_in:.2f}s; the cleanup resumed at step "
        f"{resumed_at} on another worker ({len(wound) - steps} steps redone)"
    )
