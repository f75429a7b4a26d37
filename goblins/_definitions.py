"""The @activity and @workflow decorators and the definitions they attach."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])

_ACTIVITY_ATTR = "__goblins_activity__"
_WORKFLOW_ATTR = "__goblins_workflow__"


@dataclasses.dataclass(frozen=True)
class ActivityDefinition:
    name: str
    fn: Callable[..., Any]
    is_async: bool


@dataclasses.dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    fn: Callable[..., Any]


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"{what} name must be a non-empty str, got {name!r}")
    return name


@overload
def activity(fn: F, *, name: str | None = None) -> F: ...
@overload
def activity(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...
def activity(fn: Any = None, *, name: str | None = None) -> Any:
    """Mark a function (``async def`` or plain ``def``) as an activity.

    Use as ``@goblins.activity`` or ``@goblins.activity(name="greetActivity")``. The function
    stays callable as before; workers run it when a workflow schedules it.
    """

    def wrap(f: F) -> F:
        if not callable(f):
            raise TypeError(f"@goblins.activity expects a function, got {f!r}")
        checked = _check_name(f.__name__ if name is None else name, "activity")
        defn = ActivityDefinition(checked, f, inspect.iscoroutinefunction(f))
        setattr(f, _ACTIVITY_ATTR, defn)
        return f

    return wrap(fn) if fn is not None else wrap


@overload
def workflow(fn: F, *, name: str | None = None) -> F: ...
@overload
def workflow(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...
def workflow(fn: Any = None, *, name: str | None = None) -> Any:
    """Mark an ``async def`` function as a workflow.

    Use as ``@goblins.workflow`` or ``@goblins.workflow(name="greet")``. Workflow code must be
    deterministic: it calls activities for anything that touches the outside world.
    """

    def wrap(f: F) -> F:
        if not inspect.iscoroutinefunction(f):
            raise TypeError(f"@goblins.workflow expects an async def function, got {f!r}")
        checked = _check_name(f.__name__ if name is None else name, "workflow")
        setattr(f, _WORKFLOW_ATTR, WorkflowDefinition(checked, f))
        return f

    return wrap(fn) if fn is not None else wrap


def activity_definition(obj: object) -> ActivityDefinition | None:
    return getattr(obj, _ACTIVITY_ATTR, None)


def workflow_definition(obj: object) -> WorkflowDefinition | None:
    return getattr(obj, _WORKFLOW_ATTR, None)


def name_of(obj: object, kind: str) -> str:
    """The registered name of a workflow/activity given as function or name."""
    if isinstance(obj, str):
        return _check_name(obj, kind)
    defn = workflow_definition(obj) if kind == "workflow" else activity_definition(obj)
    if defn is None:
        raise TypeError(f"expected a @goblins.{kind} function or a {kind} name (str), got {obj!r}")
    return defn.name
