"""The workflow id policies of ``Client.start_workflow`` (Temporal's semantics).

Each member's value is its number on the wire (``IdReusePolicy`` and ``IdConflictPolicy`` in
task.proto; tests/unit/test_workflow_ids.py pins them)."""

from __future__ import annotations

import enum


class IdReusePolicy(enum.Enum):
    """What a start does when its workflow id's latest run is closed."""

    ALLOW_DUPLICATE = 0
    """Start a new run, whatever the old one's outcome (the default)."""
    ALLOW_DUPLICATE_FAILED_ONLY = 1
    """Start a new run only if the old one did not complete (failed, cancelled, terminated,
    timed out); else raise :class:`goblins.WorkflowAlreadyStarted`."""
    REJECT_DUPLICATE = 2
    """Never start a second run under this id: raise :class:`goblins.WorkflowAlreadyStarted`."""


class IdConflictPolicy(enum.Enum):
    """What a start does when a run with its workflow id is running."""

    FAIL = 0
    """Raise :class:`goblins.WorkflowAlreadyStarted` (the default)."""
    USE_EXISTING = 1
    """Return a handle to the running run (the start's arguments are dropped)."""
    TERMINATE_EXISTING = 2
    """Terminate the running run and start a new one."""


def reuse_policy(value: IdReusePolicy | str | None) -> IdReusePolicy:
    return _parse(IdReusePolicy, value, IdReusePolicy.ALLOW_DUPLICATE)  # type: ignore[return-value]


def conflict_policy(value: IdConflictPolicy | str | None) -> IdConflictPolicy:
    return _parse(IdConflictPolicy, value, IdConflictPolicy.FAIL)  # type: ignore[return-value]


def _parse(kind: type[enum.Enum], value: object, default: enum.Enum) -> enum.Enum:
    if value is None:
        return default
    if isinstance(value, kind):
        return value
    if isinstance(value, str) and value.upper().replace("-", "_") in kind.__members__:
        return kind[value.upper().replace("-", "_")]
    names = ", ".join(kind.__members__)
    raise ValueError(f"{kind.__name__} must be one of {names}, got {value!r}")
