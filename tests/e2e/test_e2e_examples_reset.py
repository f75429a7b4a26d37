"""docs/reset.md's story runs as the docs say (examples/refund; separate server, worker and CLI
processes): the buggy release fails the run, the fix is deployed, the run is reset to step 8
and completes; the ledger shows that no step before the point was done again."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import REPO, Cluster

pytestmark = pytest.mark.e2e


@pytest.mark.both_modes
def test_the_refund_story_of_docs_reset(cluster: Cluster, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.txt"
    cluster.start_server()
    buggy = cluster.start_worker("examples.refund.buggy", cwd=REPO)
    start = cluster.cli(
        "workflow", "start", "refund", "--id", "refund-17", "--input", '"order-17"', "--input", f'"{ledger}"', "--wait"
    )
    assert start.returncode != 0 and "exceeds order-17's total of 4200" in start.stderr, start

    buggy.kill9()  # the deploy
    cluster.start_worker("examples.refund.fixed", cwd=REPO)
    shown = cluster.cli("workflow", "show", "refund-17")
    rows = [line.split() for line in shown.stdout.splitlines()[2:] if line[:1].isdigit()]
    assert rows[7][:3] == ["8", rows[7][1], "ACTIVITY_FINISHED_IN_SUCCESS"] and "told" in shown.stdout, shown.stdout
    bad = cluster.cli("workflow", "reset", "refund-17", "--to-step", "9")
    assert bad.returncode != 0 and "step 9 (ACTIVITY_SCHEDULED) is not a workflow-task boundary" in bad.stderr, bad
    assert (
        "Valid points: 1 (WORKFLOW_SCHEDULED), 5 (ACTIVITY_FINISHED_IN_SUCCESS), 8 (ACTIVITY_FINISHED_IN_SUCCESS)"
        in (bad.stderr)
    )
    reset = cluster.cli("workflow", "reset", "refund-17", "--to-step", "8", "--reason", "refund amount fixed")
    assert reset.returncode == 0 and reset.stdout.startswith("reset: new run "), reset
    result = cluster.cli("workflow", "result", "refund-17", "--timeout", str(cluster.recovery))
    assert (result.returncode, result.stdout) == (0, '"refunded 4200 cents for order-17"\n'), result
    assert ledger.read_text().splitlines() == [
        "looked up order-17",
        "told the customer of order-17",
        "refused 420000 cents for order-17",
        "paid 4200 cents for order-17",
    ]
