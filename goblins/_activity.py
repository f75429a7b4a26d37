"""The worker's side of a running activity attempt: heartbeats out, cancellation in.

Activity code reaches it through :mod:`goblins.activity` (``info()``, ``heartbeat()``).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from goblins import _task_token, converter
from goblins._envelope import PayloadCodec
from goblins.api import v1 as pb
from goblins.errors import ApplicationError, GoblinsError, describe, stack_trace

log = logging.getLogger("goblins.worker")


@dataclasses.dataclass(frozen=True)
class ActivityInfo:
    """The running attempt of an activity."""

    run_id: str
    """The workflow run that scheduled it."""
    step_id: str
    """The step of that run that scheduled it: the same on every attempt."""
    activity_name: str
    attempt: int
    """1 for the first attempt."""
    heartbeat_details: Any
    """The last details an earlier attempt sent with ``goblins.activity.heartbeat`` (None: none)."""
    _token: Callable[[], bytes] = dataclasses.field(default=lambda: b"", repr=False, compare=False)

    @property
    def task_token(self) -> bytes:
        """This attempt's task token (opaque bytes): hand it to the system that will finish the
        activity, raise :class:`CompleteAsync`, and that system calls
        ``client.complete_activity(token, result)`` (or ``fail_activity``, ``heartbeat_activity``).
        Only this attempt's worker can make it: it holds a random secret the history does not."""
        return self._token()


class CompleteAsync(Exception):
    """Raised by an activity to say "someone else completes me": the worker reports no outcome
    and frees the slot; the attempt stays open until a client completes, fails or times it out
    with ``info().task_token`` (see docs/async-completion.md)."""


class ActivityContext:
    """One running attempt, as the worker sees it: heartbeats out, cancellation in."""

    def __init__(
        self,
        task: pb.ActivityTask,
        send: Callable[[pb.Report], None],
        loop: asyncio.AbstractEventLoop,
        codec: PayloadCodec | None = None,
    ) -> None:
        self._codec = codec
        details = converter.decode(task.heartbeat_details, codec=codec) if task.heartbeat_details else None
        self.info = ActivityInfo(task.run_id, task.step_id, task.activity_name, task.attempt, details, self.task_token)
        self.task = task
        self.details = b""  # the newest details of this attempt
        self.cancelled = False
        self.on_cancel: Callable[[], None] | None = None  # cancels an async activity's task
        self._send = send
        self._loop = loop
        self._last_sent = 0.0
        # Heartbeats reach the server at most this often (the last details always go with the result).
        self._every = task.heartbeat_timeout / 3 if task.heartbeat_timeout else 5.0
        self._lock = threading.Lock()
        self._trailing = False  # a send of the newest details is scheduled
        self._secret = b""  # of the task token: drawn when first asked for (most attempts never are)

    def task_token(self) -> bytes:
        if not self._secret:
            self._secret = os.urandom(_task_token.SECRET_BYTES)
        t = self.task
        return _task_token.encode(t.run_id, t.step_id, t.attempt, self._secret)

    def token_hash(self) -> bytes:
        """What the server keeps of the token's secret (drawn now if the code never asked)."""
        if not self._secret:
            self.task_token()
        return _task_token.secret_hash(self._secret)

    def heartbeat(self, details: Any) -> None:
        if self.cancelled:
            raise asyncio.CancelledError("the activity is no longer wanted (its run was cancelled or ended)")
        if details is not None:
            self.details = converter.encode(details, "heartbeat details", self._codec)
        now = time.monotonic()
        with self._lock:
            wait = self._last_sent + self._every - now
            if wait > 0:  # throttled: the newest details still go out at the end of the window
                if not self._trailing:
                    self._trailing = True
                    self._loop.call_soon_threadsafe(self._loop.call_later, wait, self._flush)
                return
            self._last_sent = now
        self._post()

    def _flush(self) -> None:
        with self._lock:
            self._trailing = False
            self._last_sent = time.monotonic()
        if not self.cancelled:
            self._post()

    def _post(self) -> None:
        t = self.task
        beat = pb.ActivityHeartbeat(task_id=t.task_id, run_id=t.run_id, step_id=t.step_id, attempt=t.attempt)
        beat.details = self.details
        report = pb.Report(activity_heartbeat=beat)
        if threading.current_thread() is threading.main_thread() or _on_loop(self._loop):
            self._send(report)
        else:  # a plain def activity, in the worker's thread pool
            self._loop.call_soon_threadsafe(self._send, report)

    def cancel(self) -> None:
        """The server no longer wants this attempt: the next heartbeat (or await) raises."""
        self.cancelled = True
        if self.on_cancel is not None:
            self._loop.call_soon_threadsafe(self.on_cancel)


def record_failure(result: pb.ActivityResult, exc: BaseException, codec: PayloadCodec | None = None) -> None:
    """Fill ``result`` with the error an attempt raised: its description and traceback, and an
    :class:`ApplicationError`'s ``non_retryable`` and details."""
    result.error_type, result.error = describe(exc)
    result.stack_trace = stack_trace(exc)
    if isinstance(exc, ApplicationError):
        result.non_retryable = bool(exc.non_retryable)
        if exc.details:
            try:
                result.error_details = converter.encode(list(exc.details), "ApplicationError details", codec)
            except Exception as enc:  # the error is still reported, its details named as lost
                result.error = f"{result.error} (its details were not sent: {describe(enc)[1]})"


def log_failed_attempt(t: pb.ActivityTask, result: pb.ActivityResult) -> None:
    """Log an attempt that ended in error, with its stack trace: at WARNING (INFO for an
    attempt cancelled because its run no longer wants it)."""
    level = logging.INFO if result.error_type == "CancelledError" else logging.WARNING
    if not log.isEnabledFor(level):
        return
    log.log(
        level,
        "activity %r attempt %d of run %s step %s failed: %s%s",
        t.activity_name,
        t.attempt,
        t.run_id,
        t.step_id,
        result.error,
        f"\n{result.stack_trace.rstrip()}" if result.stack_trace else "",
        extra={"run_id": t.run_id, "step": t.step_id, "activity": t.activity_name, "attempt": t.attempt},
    )


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


current: contextvars.ContextVar[ActivityContext] = contextvars.ContextVar("goblins_activity")


def current_context(what: str) -> ActivityContext:
    """The attempt whose code is running, or a clear error outside an activity."""
    ctx = current.get(None)
    if ctx is None:
        raise GoblinsError(f"goblins.{what}() can only be called from inside an activity")
    return ctx
