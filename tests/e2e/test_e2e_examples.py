"""The examples, run as a user runs them (greet and order in both modes), and the flaky-activity
retry story in the CLI."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable

import pytest
from e2e_support import REPO, Cluster

pytestmark = pytest.mark.e2e

ERROR_TEXT = "RuntimeError: the goblin dropped the greeting"


async def test_flaky_activity_retry_story_in_the_cli(cluster: Cluster, measure: Callable[[str], None]) -> None:
    cluster.start_server()
    cluster.start_worker("examples.greet", cwd=REPO)

    # Start one run with the CLI and wait for it there.
    started = cluster.cli("workflow", "start", "greet", "--input", '"Bob"', "--wait", "--timeout", "60")
    assert started.returncode == 0, started.stderr
    first_run, printed = started.stdout.splitlines()
    assert json.loads(printed) == "Hello Bob"

    # The activity fails 90% of the time, so the number of failed attempts is random: start
    # more runs (with the SDK, faster than one process each) and tell the story of the one
    # with the most failures (P(all 12 runs have fewer than 3) = 0.271^12, about 1e-7).
    async with await cluster.client() as client:
        handles = await asyncio.gather(*(client.start_workflow("greet", f"Bob{i}") for i in range(11)))
        await asyncio.gather(*(h.result(timeout=60) for h in handles))
        run_ids = [first_run, *(h.run_id for h in handles)]
        histories = {r: await client.get_workflow_handle(r).history() for r in run_ids}
    errors = {r: sum(str(e.type) == "ACTIVITY_FINISHED_IN_ERROR" for e in h) for r, h in histories.items()}
    run_id = max(run_ids, key=lambda r: errors[r])
    assert errors[run_id] >= 3
    name = "Bob" if run_id == first_run else f"Bob{run_ids.index(run_id) - 1}"

    shown = cluster.cli("workflow", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    table, _, traces = shown.stdout.partition("\n\n")  # the table, then the failures' stack traces
    header, *rows = table.splitlines()
    assert header.split()[:3] == ["greet", run_id, "COMPLETED"]  # name, run, status, duration
    assert rows[0].split() == ["SEQ", "TIME", "EVENT", "ACTIVITY", "ATTEMPT", "DETAIL"]
    assert traces.startswith("stack trace of event ") and 'raise RuntimeError("the goblin dropped' in traces
    failed = [r for r in rows if " ACTIVITY_FINISHED_IN_ERROR " in r]
    assert len(failed) == errors[run_id]
    for attempt, row in enumerate(failed, 1):
        assert ERROR_TEXT in row, row
        assert "greetActivity" in row and re.search(rf"\b{attempt}/200\b", row), row
        assert "retry in" in row, row
    succeeded = [r for r in rows if " ACTIVITY_FINISHED_IN_SUCCESS " in r]
    assert len(succeeded) == 1 and f"Hello {name}" in succeeded[0]
    assert re.search(rf"\b{len(failed) + 1}/200\b", succeeded[0]), "success is the attempt after the last failure"
    assert rows.index(succeeded[0]) > rows.index(failed[-1])
    assert " WORKFLOW_FINISHED_IN_SUCCESS " in rows[-1]
    assert len(rows) == 1 + len(histories[run_id])

    result = cluster.cli("workflow", "result", run_id)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == f"Hello {name}"
    assert result.stdout.strip() == json.dumps(f"Hello {name}")

    listed = cluster.cli("workflow", "list", "--status", "COMPLETED")
    assert listed.returncode == 0 and run_id in listed.stdout

    # A user error is one clear line and a non-zero exit, no traceback.
    missing = cluster.cli("workflow", "result", "no-such-run")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr and "no-such-run" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    measure(f"greet retry story: failed attempts per run {sorted(errors.values())}; shown run {run_id}")


@pytest.mark.both_modes
def test_examples_run_as_documented(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("examples.greet", cwd=REPO)
    cluster.start_worker("examples.order", cwd=REPO)

    greet = cluster.python("-m", "examples.greet", "Green Got", timeout=cluster.recovery)
    assert greet.returncode == 0, greet.stderr
    run_id, _, greeting = greet.stdout.strip().partition(" ")
    assert greeting == "Hello Green Got" and run_id

    order = cluster.python("-m", "examples.order", timeout=cluster.recovery)
    assert order.returncode == 0, order.stderr
    assert order.stdout.strip() == (
        "Receipt(order_id='A-1', reservations=['rsv-apple-3', 'rsv-pear-2', 'rsv-plum-1'], "
        "charged_cents=1500, tracking='trk-A-1-3')"
    )

    shown = cluster.cli("workflow", "show", run_id)
    assert shown.returncode == 0 and "ACTIVITY_FINISHED_IN_SUCCESS" in shown.stdout
    assert "WORKFLOW_FINISHED_IN_SUCCESS" in shown.stdout
