"""The @activity and @workflow decorators, the errors and the event types."""

from __future__ import annotations

import pytest

import goblins
from goblins._definitions import activity_definition, name_of, workflow_definition


def test_activity_decorator_forms() -> None:
    @goblins.activity
    async def plain(x: int) -> int:
        return x

    @goblins.activity(name="renamed")
    def sync(x: int) -> int:
        return x

    a, s = activity_definition(plain), activity_definition(sync)
    assert a is not None and (a.name, a.is_async, a.fn) == ("plain", True, plain)
    assert s is not None and (s.name, s.is_async) == ("renamed", False)
    assert sync(2) == 2  # the function stays callable
    assert name_of(sync, "activity") == "renamed"
    assert name_of("byname", "activity") == "byname"


def test_workflow_decorator_forms() -> None:
    @goblins.workflow
    async def flow() -> None:
        pass

    @goblins.workflow(name="greet")
    async def greeting() -> None:
        pass

    assert workflow_definition(flow) is not None and workflow_definition(flow).name == "flow"  # type: ignore[union-attr]
    assert name_of(greeting, "workflow") == "greet"
    assert workflow_definition(greeting) is not None and activity_definition(greeting) is None


def test_workflow_must_be_async() -> None:
    with pytest.raises(TypeError, match="async def"):

        @goblins.workflow
        def sync_flow() -> None:
            pass


@pytest.mark.parametrize("bad", ["", "  ", 42])
def test_bad_names_are_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="name must be a non-empty str"):

        @goblins.activity(name=bad)  # type: ignore[arg-type]
        async def a() -> None:
            pass

    with pytest.raises(TypeError, match="name must be a non-empty str"):

        @goblins.workflow(name=bad)  # type: ignore[arg-type]
        async def w() -> None:
            pass


def test_decorator_given_a_name_positionally_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="expects"):
        goblins.activity("greet")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="expects"):
        goblins.workflow("greet")  # type: ignore[call-overload]


def test_name_of_refuses_undecorated_functions() -> None:
    async def bare() -> None:
        pass

    with pytest.raises(TypeError, match=r"@goblins\.activity"):
        name_of(bare, "activity")
    with pytest.raises(TypeError, match=r"@goblins\.workflow"):
        name_of(bare, "workflow")


def test_worker_refuses_bad_registrations() -> None:
    @goblins.activity
    async def act() -> None:
        pass

    @goblins.activity(name="act")
    async def other() -> None:
        pass

    async def bare() -> None:
        pass

    with pytest.raises(TypeError, match="not decorated"):
        goblins.Worker("localhost:1", activities=[bare])
    with pytest.raises(TypeError, match="not decorated"):
        goblins.Worker("localhost:1", workflows=[act])
    with pytest.raises(ValueError, match="two activities are named 'act'"):
        goblins.Worker("localhost:1", activities=[act, other])
    with pytest.raises(ValueError, match="at least one"):
        goblins.Worker("localhost:1")
    with pytest.raises(ValueError, match="max_concurrent_activities"):
        goblins.Worker("localhost:1", activities=[act], max_concurrent_activities=0)


def test_workflow_and_activity_names_are_separate_namespaces() -> None:
    @goblins.workflow(name="same")
    async def flow() -> None:
        pass

    @goblins.activity(name="same")
    async def act() -> None:
        pass

    goblins.Worker("localhost:1", workflows=[flow], activities=[act])  # no clash
