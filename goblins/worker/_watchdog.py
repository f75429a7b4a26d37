"""A thread that watches the worker from outside its event loop.

Workflow code runs on the event loop's thread: code that blocks there (``time.sleep``, a
busy loop) freezes every task of the worker, so only another thread can see it. The watchdog
logs the run, the workflow and the stack where it is stuck (Temporal's deadlock detector
looks after 2 s too). It also reports sync activity attempts that run past their
``start_to_close_timeout`` plus a grace: a thread cannot be stopped, so the slot stays taken,
and the log line and ``Worker.stuck_activities`` say why.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goblins.worker._worker import Worker

log = logging.getLogger("goblins.worker")


class Watchdog:
    """Started by ``Worker.run`` with the id of the loop's thread; stopped when it returns."""

    def __init__(self, worker: Worker, loop_thread: int) -> None:
        self._worker = worker
        self._loop_thread = loop_thread
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="goblins-watchdog", daemon=True)
        self._seen: tuple[str, str] | None = None  # the activation being timed (by identity)
        self._since = 0.0
        self._warned = False
        self._stuck: set[str] = set()  # task ids already reported stuck

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        from goblins.worker._worker import STUCK_GRACE, WATCH_EVERY

        every = min(WATCH_EVERY, (self._worker.blocked_workflow_warning or WATCH_EVERY) / 4)
        while not self._stopped.wait(every):
            now = time.monotonic()
            self._check_activation(now)
            self._check_attempts(now, STUCK_GRACE)

    def _check_activation(self, now: float) -> None:
        limit = self._worker.blocked_workflow_warning
        current = self._worker._activation
        if current is None or limit is None:
            self._seen = None
            return
        if current is not self._seen:  # a new activation: the loop moved on since the last look
            self._seen, self._since, self._warned = current, now, False
            return
        if self._warned or now - self._since < limit:
            return
        self._warned = True
        frame = sys._current_frames().get(self._loop_thread)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)\n"
        run_id, workflow = current
        log.warning(
            "workflow task of run %s (workflow %r) has blocked the worker for %.1fs: workflow code must "
            "not block (time.sleep, blocking I/O); use goblins.workflow.sleep or an activity. Stuck at:\n%s",
            run_id,
            workflow,
            now - self._since,
            stack.rstrip(),
        )

    def _check_attempts(self, now: float, grace: float) -> None:
        attempts = self._worker._sync_attempts.copy()  # atomic under the GIL; the loop mutates it
        self._stuck &= attempts.keys()
        for task_id, (task, started) in attempts.items():
            timeout = task.start_to_close_timeout
            if not timeout or task_id in self._stuck or now - started < timeout + grace:
                continue
            self._stuck.add(task_id)
            self._worker.stuck_activities += 1
            log.warning(
                "activity attempt stuck: run %s step %s activity %r attempt %d has run %.0fs, past its "
                "start_to_close_timeout of %gs; its thread stays taken (activity_executor='process' can kill it)",
                task.run_id,
                task.step_id,
                task.activity_name,
                task.attempt,
                now - started,
                timeout,
            )
