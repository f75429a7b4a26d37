"""Reset across kill -9, in both modes (workflows: wf_reset.py, docs/reset.md's story).

A release computes an activity's input wrong and the run fails; the fix is deployed, the run is
reset (`goblins workflow reset`, a separate process) to the point before the bad step; the
worker and the server are killed while the new run is under way; after their restart it
completes, and no step before the point ran again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import Cluster, check_clean, counts, texts, wait_history

import goblins

pytestmark = pytest.mark.e2e


@pytest.mark.both_modes
async def test_a_reset_after_a_fix_survives_worker_and_server_kills(cluster: Cluster, tmp_path: Path) -> None:
    log = tmp_path / "steps.log"
    cluster.start_server()
    buggy = cluster.start_worker("wf_reset")
    async with await cluster.client() as client:
        handle = await client.start_workflow("reset.shipping", str(log), 3, id="shipment-9")
        with pytest.raises(goblins.WorkflowFailed, match="amount -3 is negative"):
            await handle.result(timeout=cluster.recovery)
        history = await handle.history()
        charged = [e.seq for e in history if e.type.value == "ACTIVITY_FINISHED_IN_SUCCESS"][-1]

        buggy.kill9()  # the deploy of the fix
        worker = cluster.start_worker("wf_reset_fixed")
        shown = cluster.cli("workflow", "reset", "shipment-9", "--to-step", "4", "--reason", "sign")
        assert shown.returncode != 0 and "Valid points: 1 (WORKFLOW_SCHEDULED)" in shown.stderr, shown
        done = cluster.cli("workflow", "reset", "shipment-9", "--to-step", str(charged), "--reason", "ship sign fixed")
        assert done.returncode == 0, done.stderr
        new_run = done.stdout.split("new run ")[1].split()[0]
        new = client.get_workflow_handle("shipment-9", run_id=new_run)
        await wait_history(
            new, lambda t: t.count("ACTIVITY_FINISHED_IN_SUCCESS") == 3, "the fixed ship", cluster.recovery
        )

        worker.kill9()  # mid-new-run: it waits for "delivered"
        cluster.kill_server()
        cluster.start_server()
        worker = cluster.start_worker("wf_reset_fixed")
        await client.get_workflow_handle("shipment-9").signal("delivered", "at the door")
        assert await new.result(timeout=cluster.recovery) == ["reserve 3", "charge 30", "ship 3", "at the door"]
        old = client.get_workflow_handle("shipment-9", run_id=handle.run_id)
        assert (await old.describe()).status == "FAILED"
        shown = cluster.cli("workflow", "show", new_run)
        assert shown.returncode == 0 and handle.run_id in shown.stdout, shown.stdout
    assert texts(log) == ["reserve 3", "charge 30", "ship -3", "ship 3"], "a step before the point ran again"
    events = cluster.stored_events(new_run)
    check_clean(events)
    assert counts(events)["ACTIVITY_FINISHED_IN_SUCCESS"] == 3
