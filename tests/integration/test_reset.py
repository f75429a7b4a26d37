"""Reset (docs/reset.md): a new run of the workflow id from a point of a run's history."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import goblins
from goblins.events import EventType
from tests.conftest import StartWorker
from tests.integration import reset_flows as f

FLOWS = dict(workflows=[f.order, f.collect, f.sleeper], activities=[f.step])


@pytest.fixture(autouse=True)
def _fresh_flows() -> Iterator[None]:
    f.FIXED = False
    f.RAN.clear()
    yield
    f.FIXED = False


def _seq_of(history: list[goblins.Event], kind: str, step: str = "") -> int:
    """The seq of the first event of ``kind`` (about the activity named ``step``: its input's name)."""
    for e in history:
        if e.type.value == kind and (not step or step in repr(e)):
            return e.seq
    raise AssertionError(f"no {kind} {step} in the history")


async def test_a_bug_fixed_by_a_deploy_and_a_reset(client: goblins.Client, start_worker: StartWorker) -> None:
    """THE story: the buggy release computes an activity's input wrong, the activity fails the
    run; the fixed release is deployed, the run is reset to the point before the bad step, and
    it completes; the steps before the point do not run again."""
    buggy = await start_worker(**FLOWS)
    handle = await client.start_workflow(f.order, 3, id="order-7")
    with pytest.raises(goblins.WorkflowFailed, match="amount -3 is negative"):
        await handle.result(timeout=20)
    assert f.RAN == {"reserve": 1, "charge": 1, "ship": 1}
    history = await handle.history()
    charged = [e for e in history if e.type == EventType.ACTIVITY_FINISHED_IN_SUCCESS][-1].seq

    await buggy.shutdown()  # the deploy: the old workers go, the fixed ones come
    f.FIXED = True
    await start_worker(**FLOWS)
    new = await handle.reset(to_step=charged, reason="ship amount sign fixed")
    assert new.id == "order-7" and new.run_id != handle.run_id
    assert await new.result(timeout=20) == ["reserve 3", "charge 30", "ship 3"]
    assert f.RAN == {"reserve": 1, "charge": 1, "ship": 2}, "the steps before the point ran again"

    by_id = client.get_workflow_handle("order-7")
    assert await by_id.result(timeout=5) == ["reserve 3", "charge 30", "ship 3"]
    copied = await new.history()
    first = copied[0]
    assert first.type == EventType.WORKFLOW_SCHEDULED
    old = [(e.seq, e.type) for e in history[:charged]]
    assert [(e.seq, e.type) for e in copied[:charged]] == old
