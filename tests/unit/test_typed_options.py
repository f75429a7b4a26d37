"""Each typed call's keyword options are declared twice: as a TypedDict (goblins/_options.py) for
the overloads that type checkers read, and as the implementation's keyword parameters that run.
The two must name the same options with the same types, or an option is refused by mypy (a key
missing) or by Python (a parameter missing)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ForwardRef

import pytest

import goblins.workflow
from goblins import _options
from goblins.client import Client


def keyword_options(fn: Callable[..., Any]) -> dict[str, str]:
    parameters = inspect.signature(fn).parameters.values()
    return {p.name: str(p.annotation) for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def declared(options: type) -> dict[str, str]:
    def text(annotation: object) -> str:
        return annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else str(annotation)

    return {key: text(annotation) for key, annotation in options.__annotations__.items()}


@pytest.mark.parametrize(
    ("fn", "options"),
    [
        (goblins.workflow.execute_activity, _options.ActivityOptions),
        (goblins.workflow.start_child, _options.ChildWorkflowOptions),
        (goblins.workflow.execute_child, _options.ChildWorkflowOptions),
        (Client.start_workflow, _options.StartWorkflowOptions),
        (Client.execute_workflow, _options.WorkflowOptions),
    ],
    ids=lambda x: getattr(x, "__qualname__", ""),
)
def test_the_typed_dict_and_the_implementation_name_the_same_options(fn: Callable[..., Any], options: type) -> None:
    assert keyword_options(fn) == declared(options)
