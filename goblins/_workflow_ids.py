"""The workflow id policies of ``Client.start_workflow`` (Temporal's semantics)."""

from __future__ import annotations

import enum

from goblins.api import v1 as pb


class IdReusePolicy(enum.Enum):
    """What a start does when its workflow id's latest run is closed."""

    ALLOW_DUPLICATE = pb.ID_REUSE_ALLOW_DUPLICATE
    """Start a new run, whatever the old one's outcome (the default)."""
    ALLOW_DUPLICATE_FAILED_ONLY = pb.ID_REUSE_ALLOW_DUPLICATE_FAILED_ONLY
    """Start a new run only if the old one did not complete (failed, cancelled, terminated,
    timed out); else raise :class:`goblins.WorkflowAlreadyStarted`."""
    REJECT_DUPLICATE = pb.ID_REUSE_REJECT_DUPLICATE
    """Never start a second run under this id: raise :class:`goblins.WorkflowAlreadyStarted`."""


class IdConflictPolicy(enum.Enum):
    """What a start does when a run with its workflow id is running."""

    FAIL = pb.ID_CONFLICT_FAIL
    """Raise :class:`goblins.WorkflowAlreadyStarted` (the default)."""
    USE_EXISTING = pb.ID_CONFLICT_USE_EXISTING
    """Return a handle to the running run (the start's arguments are dropped)."""
    TERMINATE_EXISTING = pb.ID_CONFLICT_TERMINATE_EXISTING
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
