"""A bug in workflow code does not end the run (in both modes): the workflow task fails with
its stack trace and is retried; a worker restarted on the fixed code finishes the run, and
nothing done before the bug is done again."""

from __future__ import annotations

import time

import pytest
from e2e_support import Cluster, check_clean, counts, wait_history

pytestmark = pytest.mark.e2e


@pytest.mark.both_modes
async def test_a_bug_waits_for_the_fixed_deployment(cluster: Cluster) -> None:
    cluster.start_server()
    buggy = cluster.start_worker("wf_failures")
    async with await cluster.client() as client:
        handle = await client.start_workflow("failures.bug", "order-7")
        await wait_history(handle, lambda t: "WORKFLOW_TASK_FAILED" in t, "the workflow task to fail", cluster.patience)
        (run,) = await client.list_workflows(workflow_name="failures.bug")
        assert run.status == "RUNNING"
        shown = cluster.cli("workflow", "show", handle.run_id)
        assert shown.returncode == 0, shown.stderr
        assert "NameError: name 'undefined_name' is not defined" in shown.stdout
        assert "return undefined_name" in shown.stdout  # the stack trace, in full

        buggy.kill9()  # the deployment of the fix: the old workers go, new ones come
        t0 = time.monotonic()
        cluster.start_worker("wf_failures_fixed")
        assert await handle.result(timeout=cluster.recovery) == "order-7 reserved, shipped"
        took = time.monotonic() - t0
        history = await handle.history()
    stored = cluster.stored_events(handle.run_id)
    check_clean(stored)
    found = counts(stored)
    assert found.get("ACTIVITY_SCHEDULED") == 1 and found.get("ACTIVITY_FINISHED_IN_SUCCESS") == 1
    assert found.get("WORKFLOW_TASK_FAILED", 0) >= 1 and "WORKFLOW_FINISHED_IN_ERROR" not in found
    failed = [e for e in history if e.type.value == "WORKFLOW_TASK_FAILED"]
    assert all(e.failure and e.failure.type == "NameError" and "in bug" in e.failure.stack_trace for e in failed)
    assert took < 60 + cluster.patience, "the retry back-off is capped at a minute"
