"""The public names, pinned by equality: adding or removing one is a decision, made here."""

from __future__ import annotations

import types

import pytest

import goblins
import goblins.activity
import goblins.workflow
from goblins._definitions import activity_definition, workflow_definition

TOP_LEVEL = [
    "ActivityFailed",
    "AesGcmCodec",
    "ApplicationError",
    "ChildWorkflowFailed",
    "Client",
    "GoblinsError",
    "IdConflictPolicy",
    "IdReusePolicy",
    "LocalServer",
    "NondeterminismError",
    "PermissionDenied",
    "RetryPolicy",
    "RunDescription",
    "RunInfo",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleOverlap",
    "TLSConfig",
    "Unauthenticated",
    "UpdateFailed",
    "UpdateRejected",
    "Worker",
    "WorkflowAlreadyStarted",
    "WorkflowCancelled",
    "WorkflowFailed",
    "WorkflowHandle",
    "WorkflowNotFound",
    "WorkflowTerminated",
    "WorkflowTimedOut",
    "activity",
    "workflow",
]

WORKFLOW_SIDE = [
    "ActivityOptions",
    "ChildWorkflowHandle",
    "ChildWorkflowOptions",
    "Query",
    "Update",
    "WorkflowInfo",
    "continue_as_new",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_child",
    "execute_local_activity",
    "info",
    "logger",
    "now",
    "patched",
    "random",
    "set_query_handler",
    "set_update_handler",
    "sleep",
    "start_child",
    "upsert_search_attributes",
    "uuid4",
    "wait_for_signal",
]

ACTIVITY_SIDE = ["ActivityInfo", "CompleteAsync", "defn", "heartbeat", "info", "logger"]


def public_names(module: types.ModuleType) -> list[str]:
    return sorted(name for name in vars(module) if not name.startswith("_"))


def test_top_level_names_are_exactly_these() -> None:
    assert goblins.__all__ == TOP_LEVEL
    for name in TOP_LEVEL:
        assert hasattr(goblins, name), name


@pytest.mark.parametrize(("module", "names"), [(goblins.workflow, WORKFLOW_SIDE), (goblins.activity, ACTIVITY_SIDE)])
def test_role_modules_export_exactly_these(module: types.ModuleType, names: list[str]) -> None:
    assert module.__all__ == names
    for name in names:
        assert getattr(module, name) is vars(module)[name], name


@pytest.mark.parametrize("module", [goblins.workflow, goblins.activity])
def test_the_module_type_declares_every_public_name_for_type_checkers(module: types.ModuleType) -> None:
    declared = {name for name in vars(type(module)) if not name.startswith("_")}
    assert declared == set(module.__all__)


def test_the_child_verbs_left_the_top_level() -> None:
    for old in ("start_workflow", "execute_workflow", "execute_activity", "sleep", "heartbeat", "activity_info"):
        assert not hasattr(goblins, old), old


def test_the_role_modules_are_their_decorators() -> None:
    @goblins.workflow
    async def plain() -> None:
        pass

    @goblins.workflow(name="named")
    async def named() -> None:
        pass

    @goblins.workflow.defn
    async def spelled_out() -> None:
        pass

    @goblins.activity.defn(name="act")
    def act() -> None:
        pass

    @goblins.activity
    async def bare() -> None:
        pass

    names = [workflow_definition(f).name for f in (plain, named, spelled_out)]  # type: ignore[union-attr]
    assert names == ["plain", "named", "spelled_out"]
    assert [activity_definition(f).name for f in (act, bare)] == ["act", "bare"]  # type: ignore[union-attr]


def test_functions_for_the_inside_of_a_run_say_so_outside_one() -> None:
    with pytest.raises(goblins.GoblinsError, match=r"goblins\.workflow\.now\(\) can only be called from inside"):
        goblins.workflow.now()
    with pytest.raises(goblins.GoblinsError, match=r"goblins\.activity\.info\(\) can only be called from inside"):
        goblins.activity.info()
