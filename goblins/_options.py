"""The keyword options of the calls that start work, one TypedDict per call.

The typed signatures (``execute_activity``, ``start_child``, ``Client.start_workflow``, ...)
are overloads, one per kind of target (an ``async`` or a plain function, a name); each overload
takes its options as ``**options: Unpack[...]`` (PEP 692) of a TypedDict here, so that an
option is declared once, not in every overload. The implementation keeps explicit keyword
parameters: Python still refuses an unknown keyword, with its own message, and no per-call
dict is built. A new option is therefore two lines: a key here and a parameter of the
implementation (tests/unit/test_typed_options.py checks that the two agree).

Type checkers read these; at runtime they are plain dicts, used by nothing but that test.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from goblins._handler_defs import Update
from goblins._workflow_ids import IdConflictPolicy, IdReusePolicy
from goblins.retry import RetryPolicy

__all__ = ["ActivityOptions", "ChildWorkflowOptions", "StartWorkflowOptions", "WorkflowOptions"]


class ActivityOptions(TypedDict, total=False):
    """The options of ``goblins.workflow.execute_activity`` (see its docstring)."""

    retry_policy: RetryPolicy | None
    start_to_close_timeout: float | datetime.timedelta | None
    heartbeat_timeout: float | datetime.timedelta | None
    schedule_to_close_timeout: float | datetime.timedelta | None
    task_queue: str | None
    priority: int | None
    concurrency_key: str | None


class ChildWorkflowOptions(TypedDict, total=False):
    """The options of ``goblins.workflow.start_child`` and ``execute_child``."""

    run_id: str | None
    task_queue: str | None
    priority: int | None
    search_attributes: Mapping[str, Any] | None
    memo: Mapping[str, Any] | None


class WorkflowOptions(TypedDict, total=False):
    """The options of ``Client.execute_workflow``, and of ``start_workflow`` with these:
    :class:`StartWorkflowOptions`."""

    id: str | None
    run_id: str | None
    id_reuse_policy: IdReusePolicy | str | None
    id_conflict_policy: IdConflictPolicy | str | None
    execution_timeout: float | datetime.timedelta | None
    timeout: float | datetime.timedelta | None
    task_queue: str | None
    priority: int | None
    search_attributes: Mapping[str, Any] | None
    memo: Mapping[str, Any] | None


class StartWorkflowOptions(WorkflowOptions, total=False):
    """The options of ``Client.start_workflow``: :class:`WorkflowOptions` and signal- or
    update-with-start."""

    start_signal: str | None
    start_signal_args: Sequence[Any]
    start_update: str | Update[..., Any] | None
    start_update_args: Sequence[Any]
