"""The errors goblins raises. Every one derives from :class:`GoblinsError`."""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any


class GoblinsError(Exception):
    """Root of every error goblins raises."""


class ApplicationError(GoblinsError):
    """An error the application means: raised in a workflow it fails the run; raised in an
    activity it fails the attempt and, with ``non_retryable=True``, the activity at once.

    Any other exception escaping workflow code is taken for a bug: it fails the workflow task,
    which the server retries until a worker with fixed code completes it (Temporal's rule).
    ``type`` names the error in the history (``error_type``), where a retry policy's
    ``non_retryable_error_types`` match it; ``details`` travel with it as JSON.
    """

    def __init__(self, message: str = "", *details: Any, type: str | None = None, non_retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.non_retryable = non_retryable
        self.details: Sequence[Any] = details


class ActivityFailed(GoblinsError):
    """Raised inside a workflow when an activity's attempts are exhausted.

    ``error_type`` and ``error`` carry the activity's last error; the message names both.
    """

    def __init__(
        self, activity_name: str, error_type: str, error: str, attempt: int, details: Sequence[Any] = ()
    ) -> None:
        self.activity_name = activity_name
        self.error_type = error_type
        self.error = error
        self.attempt = attempt
        self.details = details
        """The ``details`` of the activity's ``ApplicationError`` (empty for other errors)."""
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


class UpdateFailed(GoblinsError):
    """Raised by ``execute_update`` / ``UpdateHandle.result()`` when the update's handler raised
    (``error_type``: the exception's class name; ``details``: an ApplicationError's details)."""

    def __init__(self, run_id: str, name: str, error_type: str, error: str, details: tuple[Any, ...] = ()) -> None:
        self.run_id = run_id
        self.name = name
        self.error_type = error_type
        self.error = error
        self.details = details
        super().__init__(f"update {name!r} of run {run_id} failed: {error}")


class UpdateRejected(UpdateFailed):
    """The update's validator raised (or the workflow has no such update): nothing was recorded."""

    def __init__(self, run_id: str, name: str, error_type: str, error: str, details: tuple[Any, ...] = ()) -> None:
        super().__init__(run_id, name, error_type, error, details)
        self.args = (f"update {name!r} of run {run_id} was rejected: {error}",)


class NondeterminismError(GoblinsError):
    """The workflow code asked for a different step than its history recorded."""


class SerializationError(GoblinsError, TypeError):
    """A value cannot be encoded (or decoded) as a goblins payload."""


class CodecError(GoblinsError):
    """A payload that cannot be decoded here (goblins.codec): a key or a codec is missing, or
    the bytes were altered. A workflow task that meets one fails (and is retried, e.g. by a
    worker that holds the key), never the run."""


class WorkflowNotFound(GoblinsError):
    """No run with this id exists, or no worker ever registered this workflow name."""


class ActivityNotFound(GoblinsError):
    """A task token that names no open async activity attempt: the attempt timed out, was
    retried or completed, its run ended, or the token is garbled or forged. Nothing changed."""


class WorkflowAlreadyStarted(GoblinsError):
    """A start refused by its workflow id's policies (``id_reuse_policy``, ``id_conflict_policy``):
    ``run_id`` is the id's existing run (running, or closed when the reuse policy refused)."""

    def __init__(self, workflow_id: str, run_id: str, message: str = "") -> None:
        super().__init__(message or f"workflow id {workflow_id!r} already has a run: {run_id}")
        self.workflow_id = workflow_id
        self.run_id = run_id

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.workflow_id, self.run_id, str(self)))


class StoreUnavailable(GoblinsError):
    """The event store cannot be reached or failed to answer (a restart, a timeout): retry."""


class StoreConflict(GoblinsError):
    """Another writer has stored different events at these (run, seq) positions."""


class StoreRejected(GoblinsError):
    """The store refused a batch for what it holds (a value it cannot store, a broken
    constraint): unlike :class:`StoreUnavailable`, the same batch would fail again."""


class Unauthenticated(GoblinsError):
    """The server requires a token (or a client certificate) and the call carried none it
    knows: pass ``token=`` to ``Client.connect`` / ``Worker``, or set ``GOBLINS_TOKEN``."""


class PermissionDenied(GoblinsError):
    """The caller is known but its role does not allow this call (e.g. a ``reader`` starting a
    workflow, or a ``worker`` registering a name its entry does not list)."""


MAX_ERROR_TEXT = 64 * 1024
"""Characters of an exception's message (and of its stack trace) kept in its event."""


def describe(exc: BaseException) -> tuple[str, str]:
    """(type name, "Type: message") of an exception, as stored in events (an
    :class:`ApplicationError` is named by its ``type``, when it has one)."""
    name = type(exc).__name__
    if isinstance(exc, ApplicationError) and exc.type:
        name = str(exc.type)
    try:
        text = str(exc)
    except BaseException:  # an exception whose __str__ raises must still be described
        text = _fallback_text(exc)
    if len(text) > MAX_ERROR_TEXT:  # stored with every attempt: a 10 MB message would be too
        text = f"{text[:MAX_ERROR_TEXT]}... ({len(text) - MAX_ERROR_TEXT} characters cut)"
    return name, f"{name}: {text}" if text else name


def stack_trace(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` (with its causes), as stored in events; never raises."""
    try:
        text = "".join(traceback.format_exception(exc))
    except BaseException:  # a broken __str__ in the chain: the frames without the messages
        try:
            text = "".join(traceback.format_tb(exc.__traceback__))
        except BaseException:
            return ""
    if len(text) > MAX_ERROR_TEXT:  # the innermost frames are at the end: keep those
        text = f"({len(text) - MAX_ERROR_TEXT} characters cut)...{text[-MAX_ERROR_TEXT:]}"
    return text


def _fallback_text(exc: BaseException) -> str:
    try:
        return f"(its message could not be read) {object.__repr__(exc)} args={exc.args!r}"
    except BaseException:
        return "(its message could not be read)"
