"""Local activities across kill -9 of the worker (workflows: wf_local_activities.py), and the
docs' example (examples/pricing.py) as separate processes.

A local activity's outcome is recorded with its workflow task's completion: one recorded before
the kill never runs again; the one running at the kill (not recorded yet) runs again on the
next worker: at least once, as docs/local-activities.md says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import REPO, Cluster, async_wait_until, check_clean, counts, texts

pytestmark = pytest.mark.e2e

LOCAL = "LOCAL_ACTIVITY_RECORDED"


@pytest.mark.both_modes
async def test_kill9_mid_local_activity_reruns_only_the_unrecorded_one(cluster: Cluster, tmp_path: Path) -> None:
    log, marker = tmp_path / "marks.log", tmp_path / "hung"
    cluster.start_server()
    first = cluster.start_worker("wf_local_activities")
    async with await cluster.client() as client:
        handle = await client.start_workflow("local_kill", str(log), str(marker))
        await async_wait_until(lambda: "second start" in texts(log), cluster.patience, "the second call to start")
        first.kill9()  # mid-call: its workflow task never completes
        if cluster.mode == "embedded":
            await async_wait_until(lambda: cluster.server_saw_disconnect(first), 20, "the server to drop the worker")
        cluster.start_worker("wf_local_activities")
        assert await handle.result(timeout=cluster.recovery) == ["first", "second", "third"]
        recorded = [e for e in await handle.history() if e.type.value == LOCAL]
    done = texts(log)
    assert done.count("first") == 1, f"a recorded local activity ran again: {done}"
    assert done.count("second start") == 2, f"the call running at the kill did not run again: {done}"
    assert "second end" not in done  # the killed execution never finished
    assert done.count("third") == 1
    assert [e.output for e in recorded] == ["first", "second", "third"]
    assert len({e.step_id for e in recorded}) == 3
    events = cluster.stored_events(handle.run_id)
    check_clean(events)
    assert counts(events)[LOCAL] == 3


def test_pricing_example(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("examples.pricing", cwd=REPO)
    done = cluster.python("-m", "examples.pricing")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["charged ada 2.55", "3 local activities recorded, attempts [1, 1, 2]"]
