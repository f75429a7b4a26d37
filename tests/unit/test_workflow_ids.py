"""The public id policies match their wire numbers; names parse in any case."""

from __future__ import annotations

import pytest

import goblins
from goblins._workflow_ids import conflict_policy, reuse_policy
from goblins.api import v1 as pb


def test_policy_values_are_the_wire_numbers() -> None:
    for member in goblins.IdReusePolicy:
        assert pb.IdReusePolicy.Value(f"ID_REUSE_{member.name}") == member.value
    for member in goblins.IdConflictPolicy:
        assert pb.IdConflictPolicy.Value(f"ID_CONFLICT_{member.name}") == member.value
    assert len(pb.IdReusePolicy.keys()) == len(goblins.IdReusePolicy)
    assert len(pb.IdConflictPolicy.keys()) == len(goblins.IdConflictPolicy)


def test_policies_parse_names_and_refuse_others() -> None:
    assert reuse_policy(None) is goblins.IdReusePolicy.ALLOW_DUPLICATE
    assert conflict_policy(None) is goblins.IdConflictPolicy.FAIL
    assert reuse_policy("reject-duplicate") is goblins.IdReusePolicy.REJECT_DUPLICATE
    assert conflict_policy(goblins.IdConflictPolicy.USE_EXISTING) is goblins.IdConflictPolicy.USE_EXISTING
    with pytest.raises(ValueError, match="IdReusePolicy must be one of"):
        reuse_policy("FAIL")


def test_already_started_carries_the_id_and_run_and_pickles() -> None:
    import pickle

    error = goblins.WorkflowAlreadyStarted("order-42", "r1")
    assert (error.workflow_id, error.run_id) == ("order-42", "r1") and "order-42" in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.workflow_id, copy.run_id, str(copy)) == ("order-42", "r1", str(error))


class _Loop:
    """What WorkflowIds asks of the event loop: no run in memory, a settable clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def run(self, run_id: str) -> None:
        return None

    def clock(self) -> float:
        return self.now


async def test_a_claim_whose_start_never_came_frees_the_id_after_the_grace() -> None:
    from goblins.server.workflow_ids import CLAIM_GRACE, AlreadyStarted, WorkflowIds
    from tests.unit.memory_ports import MemoryStore

    store, loop = MemoryStore(), _Loop()
    ids = WorkflowIds(store, loop, store.last_event)  # type: ignore[arg-type]
    request = pb.StartWorkflowRequest(workflow_name="wf", workflow_id="order-1")
    assert await ids.claim(request, "r1") == ("r1", True, "")
    # r1 never recorded an event (its server died after the claim): running, for a while.
    with pytest.raises(AlreadyStarted) as refused:
        await ids.claim(request, "r2")
    assert refused.value.run_id == "r1"
    request.id_conflict_policy = pb.ID_CONFLICT_USE_EXISTING
    assert await ids.claim(request, "r2") == ("r1", False, "")
    assert await ids.claim(request, "r1") == ("r1", True, "")  # the same start again: idempotent
    loop.now += CLAIM_GRACE + 1
    request.id_conflict_policy = pb.ID_CONFLICT_FAIL
    assert await ids.claim(request, "r3") == ("r3", True, "")
    assert await store.workflow_id_row("order-1") == ("r3", loop.now)
    assert await ids.resolve("order-1", "") == "r3" and await ids.resolve("order-1", "r1") == "r1"
    assert await ids.resolve("no-row", "") == "no-row"  # a run id: the default workflow id
