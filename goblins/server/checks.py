"""Checks of the numbers that enter the server, before any of them reaches the engine or a store.

A NaN slips through every ``<`` comparison and SQLite stores it as NULL (which a NOT NULL column
refuses at commit time); an infinity never fires. Each function returns what is wrong, naming
the argument, or an empty string.
"""

from __future__ import annotations

import math

import orjson

from goblins._envelope import MARK, bad_envelope
from goblins.api import v1 as pb

MAX_NAME = 1000
"""Characters in an id or a name (run, signal, workflow, activity, query, timer)."""
MAX_REASON = 64 * 1024
"""Characters in a reason given by a client (cancel, terminate)."""
MAX_PAYLOAD = 2 * 1024 * 1024
"""Bytes in one payload (an input, a signal's or a query's arguments, a result), by default;
``Server(max_payload_bytes=)`` changes it."""
HISTORY_WARN_EVENTS = 10_000
"""Events in one run's history past which the server logs a warning (once per run and server)."""
HISTORY_MAX_EVENTS = 50_000
"""Events in one run's history past which a workflow task may only end the run (complete, fail
or continue as new): every replay reads the whole history."""
HISTORY_WARN_BYTES = 10 * 1024 * 1024
"""Bytes in one run's history past which the server logs a warning (once per run and server);
``Server(warn_history_bytes=)`` changes it."""
HISTORY_MAX_BYTES = 50 * 1024 * 1024
"""Bytes in one run's history past which a workflow task may only end the run (as for the
length limit); ``Server(max_history_bytes=)`` changes it."""


def too_long(*fields: tuple[str, str], limit: int = MAX_NAME) -> str:
    """Why one of these (argument, value) pairs is too long, or ""."""
    for argument, value in fields:
        if len(value) > limit:
            return f"{argument} is too long: {len(value)} characters, at most {limit}"
    return ""


def bad_seconds(value: float, argument: str) -> str:
    """Why ``value`` is not a duration in seconds (finite, >= 0; 0 means none), or ""."""
    if 0 <= value < math.inf:  # NaN fails the first comparison
        return ""
    return f"{argument} must be a finite number of seconds >= 0, got {value!r}"


def _bad_retry_policy(p: pb.RetryPolicy, where: str) -> str:
    for field in ("initial_interval", "maximum_interval", "backoff_coefficient"):
        problem = bad_seconds(getattr(p, field), f"{where}.retry_policy.{field}")
        if problem:
            return problem
    if p.max_attempts < 0:
        return f"{where}.retry_policy.max_attempts must be >= 0, got {p.max_attempts}"
    return ""


def _payload(command: pb.Command, which: str | None) -> tuple[str, bytes]:
    if which == "schedule_activity":
        return "input", command.schedule_activity.input
    if which == "start_child_workflow":
        return "input", command.start_child_workflow.input
    if which == "complete_workflow":
        return "output", command.complete_workflow.output
    if which == "continue_as_new":
        return "input", command.continue_as_new.input
    if which == "record_local_activity":
        return "output", command.record_local_activity.outcome.output
    return "", b""


def bad_command(command: pb.Command, index: int, limit: int = MAX_PAYLOAD) -> str:
    """Why a workflow task's command cannot be recorded, or ""."""
    which = command.WhichOneof("kind")
    where = f"command {index} ({which})"
    field, data = _payload(command, which)
    if len(data) > limit:  # only the size: the worker's converter wrote it, parsing it again costs
        return f"{where}: {field} is too big: {len(data)} bytes, at most {limit}"
    if which == "schedule_activity":
        s = command.schedule_activity
        for field in ("start_to_close_timeout", "heartbeat_timeout", "schedule_to_close_timeout"):
            problem = bad_seconds(getattr(s, field), f"{where}: {field}")
            if problem:
                return problem
        names = too_long(
            (f"{where}: step_id", s.step_id),
            (f"{where}: activity_name", s.activity_name),
            (f"{where}: task_queue", s.task_queue),
            (f"{where}: concurrency_key", s.concurrency_key),
        )
        if not names and not 0 <= s.priority <= 5:
            names = f"{where}: priority must be 1 to 5 (0: the default), got {s.priority}"
        return names or _bad_retry_policy(s.retry_policy, where)
    if which == "start_timer":
        t = command.start_timer
        return too_long((f"{where}: timer_id", t.timer_id)) or bad_seconds(t.seconds, f"{where}: seconds")
    if which == "start_child_workflow":
        c = command.start_child_workflow
        return too_long(
            (f"{where}: step_id", c.step_id),
            (f"{where}: workflow_name", c.workflow_name),
            (f"{where}: child_run_id", c.child_run_id),
        )
    if which == "record_marker":
        return too_long((f"{where}: patch_id", command.record_marker.patch_id))
    if which == "record_local_activity":
        o = command.record_local_activity.outcome
        names = too_long((f"{where}: step_id", o.step_id), (f"{where}: activity_name", o.activity_name))
        return names or bad_seconds(o.backoff, f"{where}: backoff")
    return ""


_INF = math.inf


def _fine(command: pb.Command, limit: int) -> bool:
    """Whether ``bad_command`` would find nothing, without building its messages: every
    completion of every run passes here, and the f-strings naming each field cost more than
    the checks themselves. NaN fails every ``0 <= x`` below."""
    which = command.WhichOneof("kind")
    if which == "schedule_activity":
        s = command.schedule_activity
        if not (
            len(s.input) <= limit
            and 0 <= s.start_to_close_timeout < _INF
            and 0 <= s.heartbeat_timeout < _INF
            and 0 <= s.schedule_to_close_timeout < _INF
            and len(s.step_id) <= MAX_NAME
            and len(s.activity_name) <= MAX_NAME
            and 0 <= s.priority <= 5
            and len(s.task_queue) <= MAX_NAME
            and len(s.concurrency_key) <= MAX_NAME
        ):
            return False
        if not s.HasField("retry_policy"):
            return True
        p = s.retry_policy
        return (
            0 <= p.initial_interval < _INF
            and 0 <= p.maximum_interval < _INF
            and 0 <= p.backoff_coefficient < _INF
            and p.max_attempts >= 0
        )
    if which == "complete_workflow":
        return len(command.complete_workflow.output) <= limit
    if which == "start_timer":
        t = command.start_timer
        return len(t.timer_id) <= MAX_NAME and 0 <= t.seconds < _INF
    return not bad_command(command, 0, limit)  # the rarer kinds: the described check


def bad_completion(r: pb.WorkflowTaskCompleted, limit: int = MAX_PAYLOAD) -> str:
    """Why a workflow task's completion cannot be recorded (the first bad command), or ""."""
    for command in r.commands:
        if not _fine(command, limit):
            break
    else:
        return ""
    for index, command in enumerate(r.commands):  # a bad command: find it and say why
        problem = bad_command(command, index, limit)
        if problem:
            return f"workflow task completion refused: {problem}"
    return ""


def completion_refused(r: pb.WorkflowTaskCompleted, reason: str) -> pb.Report:
    """The report that replaces a refused completion: its run's workflow task fails."""
    failed = pb.WorkflowTaskFailed(task_id=r.task_id, run_id=r.run_id, error=reason, error_type="InvalidCommand")
    return pb.Report(workflow_task_failed=failed)


def bad_payload(data: bytes, argument: str, limit: int = MAX_PAYLOAD, args: bool = False) -> str:
    """Why ``data`` is not a payload the server accepts, or "".

    Too big, not JSON, or with ``args`` not an argument list (a JSON array; empty: none). A run
    whose recorded payload cannot be decoded fails every replay, so it is refused where it enters.
    An encoded payload (goblins.codec: encrypted) is checked for its envelope only: the server
    holds no key, so the worker's converter checks the argument list (a workflow whose input is
    not one fails its run, a signal's reaches the waiting code as an error: no run is wedged).
    """
    if len(data) > limit:
        return f"{argument} is too big: {len(data)} bytes, at most {limit}"
    if not data:
        return ""
    if data[:1] == MARK:
        problem = bad_envelope(data)
        return f"{argument}: {problem}" if problem else ""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return f"{argument} is not JSON: {exc}"
    if args and not isinstance(value, list):
        return f"{argument} must be a JSON array of arguments, got {type(value).__name__}"
    return ""


def oversized_result(r: pb.ActivityResult, limit: int = MAX_PAYLOAD) -> pb.ActivityResult | None:
    """What replaces a result over ``limit``: a failed attempt for a too big output; the same
    result without its heartbeat details when only they are too big (the next attempt starts
    from scratch, as for a heartbeat over the limit). None: the result is fine."""
    if len(r.output) > limit:
        error = f"activity output is too big: {len(r.output)} bytes, at most {limit}"
        return pb.ActivityResult(
            task_id=r.task_id,
            run_id=r.run_id,
            step_id=r.step_id,
            attempt=r.attempt,
            ok=False,
            error=f"PayloadTooLarge: {error}",
            error_type="PayloadTooLarge",
        )
    if len(r.heartbeat_details) > limit:
        kept = pb.ActivityResult()
        kept.CopyFrom(r)
        kept.heartbeat_details = b""
        return kept
    return None


_ENDS_RUN = frozenset({"complete_workflow", "fail_workflow", "continue_as_new"})


def _ends_run(r: pb.WorkflowTaskCompleted) -> bool:
    return all(c.WhichOneof("kind") in _ENDS_RUN for c in r.commands)


def history_too_long(events: int, r: pb.WorkflowTaskCompleted, limit: int = HISTORY_MAX_EVENTS) -> str:
    """Why a completion may not add to a history of ``events`` events (it does not end the run), or ""."""
    if events < limit or _ends_run(r):
        return ""
    return (
        f"workflow task completion refused: the history has {events} events, at most {limit}; "
        "the workflow should continue as new"
    )


def history_too_big(size: int, r: pb.WorkflowTaskCompleted, limit: int = HISTORY_MAX_BYTES) -> str:
    """Why a completion may not add to a history of ``size`` bytes (it does not end the run), or ""."""
    if size < limit or _ends_run(r):
        return ""
    return (
        f"workflow task completion refused: the history has {size} bytes, at most {limit}; "
        "the workflow should continue as new"
    )
