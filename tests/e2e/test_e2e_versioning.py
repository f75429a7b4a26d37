"""A patched deploy with runs of the old code still open, across kill -9 (examples/shipping, as
docs/versioning.md tells it): separate server, worker and CLI processes; in both modes."""

from __future__ import annotations

import pytest
from e2e_support import REPO, Cluster, wait_history

pytestmark = pytest.mark.e2e

LABELLED = "ACTIVITY_FINISHED_IN_SUCCESS"


@pytest.mark.both_modes
async def test_a_patched_deploy_finishes_old_runs_on_the_old_branch_after_a_kill_9(cluster: Cluster) -> None:
    cluster.start_server()
    old_worker = cluster.start_worker("examples.shipping.v1", cwd=REPO)
    async with await cluster.client() as client:
        old = [await client.start_workflow("shipping", f"old-{i}") for i in range(2)]
        for handle in old:
            await wait_history(handle, lambda t: LABELLED in t, "the old run's label", cluster.patience)
        old_worker.kill9()  # the deploy: the old code dies mid-run, its runs wait for the pick-up

        # The deploy gate, as the docs' CI step runs it: the patch is compatible, a reorder is not.
        gate = cluster.cli("replay", "examples.shipping.v2", "--server", cluster.address, cwd=REPO)
        assert gate.returncode == 0, gate.stdout + gate.stderr
        assert "2 run(s) of 1 workflow(s) replayed (shipping): all replay on this code" in gate.stdout
        gate = cluster.cli("replay", "examples.shipping.reordered", "--server", cluster.address, cwd=REPO)
        assert gate.returncode == 1, gate.stderr
        broken = gate.stdout.splitlines()
        assert len(broken) == 2 and all("step 1 asks for activity 'notify'" in line for line in broken)
        assert {h.run_id for h in old} == {line.split()[2] for line in broken}

        cluster.start_worker("examples.shipping.v2", cwd=REPO)
        new = await client.start_workflow("shipping", "new-0")
        await wait_history(new, lambda t: LABELLED in t, "the new run's label", cluster.patience)
        for handle in [*old, new]:
            await handle.signal("picked_up")
        results = [await h.result(timeout=cluster.recovery) for h in [*old, new]]
        assert results == [
            "old-0 shipped with printed-label-old-0",
            "old-1 shipped with printed-label-old-1",
            "new-0 shipped with carrier-label-new-0",
        ]
        types = [[e.type.value for e in await h.history()] for h in [*old, new]]
    assert ["MARKER_RECORDED" in t for t in types] == [False, False, True]
    assert all(t.count("ACTIVITY_SCHEDULED") == 2 for t in types)  # nothing ran twice

    # Deploy 2 may go once no run of the old code is open; the gate says so.
    gate = cluster.cli("replay", "examples.shipping.v3", "--server", cluster.address, "--status", "RUNNING", cwd=REPO)
    assert gate.returncode == 0 and "0 run(s)" in gate.stdout, gate.stderr
