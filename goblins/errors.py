"""The errors goblins raises. Every one derives from :class:`GoblinsError`."""

from __future__ import annotations


class GoblinsError(Exception):
    """Root of every error goblins raises."""


class ActivityFailed(GoblinsError):
    """Raised inside a workflow when an activity's attempts are exhausted.

    ``error_type`` and ``error`` carry the activity's last error; the message names both.
    """

    def __init__(self, activity_name: str, error_type: str, error: str, attempt: int) -> None:
        self.activity_name = activity_name
        self.error_type = error_type
        self.error = error
        self.attempt = attempt
        super().__init__(f"activity {activity_name!r} failed after {attempt} attempt(s): {error}")


class ChildWorkflowFailed(GoblinsError):
    """Raised inside a parent workflow when a child workflow finished in error."""

    def __init__(self, workflow_name: str, run_id: str, error_type: str, error: str) -> None:
        self.workflow_name = workflow_name
        self.run_id = run_id
        self.error_type = error_type
        self.error = error
        super().__init__(f"child workflow {workflow_name!r} (run {run_id}) failed: {error}")


class WorkflowFailed(GoblinsError):
    """Raised by ``WorkflowHandle.result()`` when the run finished in error."""

    def __init__(self, run_id: str, error_type: str, error: str) -> None:
        self.run_id = run_id
        self.error_type = error_type
        self.error = error
        super().__init__(f"workflow run {run_id} failed: {error}")


class WorkflowCancelled(WorkflowFailed):
    """Raised by ``WorkflowHandle.result()`` when the run ended because it was cancelled."""


class WorkflowTerminated(WorkflowFailed):
    """Raised by ``WorkflowHandle.result()`` when the run was terminated (no code ran after)."""


class WorkflowTimedOut(WorkflowFailed):
    """Raised by ``WorkflowHandle.result()`` when the run overran its ``execution_timeout``."""


class NondeterminismError(GoblinsError):
    """The workflow code asked for a different step than its history recorded."""


class SerializationError(GoblinsError, TypeError):
    """A value cannot be encoded (or decoded) as a goblins payload."""


class WorkflowNotFound(GoblinsError):
    """No run with this id exists, or no worker ever registered this workflow name."""


class StoreUnavailable(GoblinsError):
    """The event store cannot be reached or failed to answer (a restart, a timeout): retry."""


class StoreConflict(GoblinsError):
    """Another writer has stored different events at these (run, seq) positions."""


class StoreRejected(GoblinsError):
    """The store refused a batch for what it holds (a value it cannot store, a broken
    constraint): unlike :class:`StoreUnavailable`, the same batch would fail again."""


MAX_ERROR_TEXT = 64 * 1024
"""Characters of an exception's message kept in its event."""


def describe(exc: BaseException) -> tuple[str, str]:
    """(type name, "Type: message") of an exception, as stored in events."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except BaseException:  # an exception whose __str__ raises must still be described
        text = _fallback_text(exc)
    if len(text) > MAX_ERROR_TEXT:  # stored with every attempt: a 10 MB message would be too
        text = f"{text[:MAX_ERROR_TEXT]}... ({len(text) - MAX_ERROR_TEXT} characters cut)"
    return name, f"{name}: {text}" if text else name


def _fallback_text(exc: BaseException) -> str:
    try:
        return f"(its message could not be read) {object.__repr__(exc)} args={exc.args!r}"
    except BaseException:
        return "(its message could not be read)"
