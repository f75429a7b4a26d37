"""The definitions that ``@goblins.workflow`` and ``@goblins.activity`` attach, and their lookup."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

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
    failure_exception_types: tuple[type[BaseException], ...] = ()
    """Exceptions that fail the run when they escape the code (besides ApplicationError and
    activity/child failures); any other exception fails only the workflow task."""


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"{what} name must be a non-empty str, got {name!r}")
    return name


def define_activity(fn: F, name: str | None) -> F:
    """Attach an activity definition to ``fn`` (the body of ``@goblins.activity``)."""
    if not callable(fn):
        raise TypeError(f"@goblins.activity expects a function, got {fn!r}")
    checked = _check_name(fn.__name__ if name is None else name, "activity")
    setattr(fn, _ACTIVITY_ATTR, ActivityDefinition(checked, fn, inspect.iscoroutinefunction(fn)))
    return fn


def define_workflow(fn: F, name: str | None, failure_exception_types: Iterable[type[BaseException]] = ()) -> F:
    """Attach a workflow definition to ``fn`` (the body of ``@goblins.workflow``)."""
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"@goblins.workflow expects an async def function, got {fn!r}")
    checked = _check_name(fn.__name__ if name is None else name, "workflow")
    types = tuple(failure_exception_types)
    for t in types:
        if not (isinstance(t, type) and issubclass(t, Exception)):
            raise TypeError(f"failure_exception_types must hold Exception classes, got {t!r}")
    setattr(fn, _WORKFLOW_ATTR, WorkflowDefinition(checked, fn, types))
    return fn


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
