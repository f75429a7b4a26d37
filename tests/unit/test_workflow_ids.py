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
