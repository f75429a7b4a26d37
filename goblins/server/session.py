"""One connected worker's stream: what it hosts, its credit, the tasks it holds, the next
message to send it.

The tasks a session holds (``inflight``) are the authority on what its worker may report: a
report about any other task, or of a kind only the server makes, is refused (``refusal``).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Sequence

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, WORKFLOW
from goblins.server.paging import PAGE_BYTES

Key = tuple[str, str]  # (kind, name)

# A credit bucket that is no task kind: the worker's sync activities (threads or processes, a
# smaller pool than its event loop's) take one of these on top of an ACTIVITY credit.
SYNC_ACTIVITY = "sync_activity"
WORKER_REPORTS = frozenset(
    {"activity_started", "activity_result", "activity_heartbeat", "workflow_task_completed", "workflow_task_failed"}
)
"""The report kinds a worker may send, each about a task it holds. The other kinds (a start, a
timer fired, a signal, a cancel, a child's news) only the server itself makes, or a client
through its own RPC (which checks it): from a worker's stream they are refused."""
MESSAGE_BYTES = 16 * 1024 * 1024
"""Bytes of tasks in one message to a worker, roughly (a single task may pass it): many big
tasks go in several messages, well under the channel's 64 MiB limit."""


class Session:
    """One connected worker: what it hosts, how much more it can take, its outbox."""

    def __init__(
        self,
        worker_id: str,
        workflows: Sequence[str],
        activities: Sequence[str],
        sync_activities: Sequence[str] = (),
        task_queue: str = "",
    ) -> None:
        self.worker_id = worker_id
        self.task_queue = task_queue  # it takes only this queue's tasks ("": the default one)
        self.keys: set[Key] = {(WORKFLOW, n) for n in workflows} | {(ACTIVITY, n) for n in activities}
        self.credit = {ACTIVITY: 0, WORKFLOW: 0, SYNC_ACTIVITY: 0}
        # The keys whose tasks also take a SYNC_ACTIVITY credit: a worker that cannot start
        # another sync activity is sent none, while it still takes async ones.
        self.sync: frozenset[Key] = frozenset((ACTIVITY, n) for n in sync_activities if (ACTIVITY, n) in self.keys)
        # The tasks handed to this session and not yet done, expired or taken back: task id ->
        # its run id (a report names both; the pair must match what was handed out).
        self.inflight: dict[str, str] = {}
        self.refused = 0  # reports refused (see ``refusal``)
        self.closed = False
        self._msg = pb.ServerMessage()  # the next message, built in place (no copies)
        self._bytes = 0  # of the tasks in _msg
        self._full: collections.deque[pb.ServerMessage] = collections.deque()  # to send before _msg
        self._queued = False
        self._wake = asyncio.Event()

    def refusal(self, which: str | None, task_id: str, run_id: str) -> str:
        """Why this session may not make a report of kind ``which`` about ``task_id`` of
        ``run_id``; empty when it may: a worker's kind, about a task the session holds.

        One dict lookup: the hot path pays nothing else (no store read, no lock).
        """
        if which not in WORKER_REPORTS:
            return f"a worker may not report {which or 'an empty report'}: only the server makes it"
        if self.inflight.get(task_id) != run_id:
            return f"the session does not hold task {task_id!r} of run {run_id!r}"
        return ""

    def _roll(self) -> None:
        """_msg is full: it waits in line, the next tasks go in a new message."""
        if len(self._msg.tasks):
            self._full.append(self._msg)
            self._msg, self._bytes = pb.ServerMessage(), 0

    def activity_task(self, data: bytes) -> None:
        """Queue an activity task from its stored ActivityTask bytes."""
        if self._bytes + len(data) > MESSAGE_BYTES:
            self._roll()
        self._bytes += len(data)
        self._msg.tasks.add().activity.MergeFromString(data)
        self._queued = True
        self._wake.set()

    def workflow_task(self) -> pb.WorkflowTask:
        """Queue a workflow task; the caller fills in the returned message (at most PAGE_BYTES
        of events) and tells :meth:`used` how many bytes it put in."""
        if self._bytes > MESSAGE_BYTES - PAGE_BYTES:
            self._roll()
        self._queued = True
        self._wake.set()
        return self._msg.tasks.add().workflow

    def used(self, size: int) -> None:
        self._bytes += size

    def ack(self, task_id: str) -> None:
        self._msg.acked.append(task_id)
        self._queued = True
        self._wake.set()

    def query(self, query: pb.QueryTask) -> None:
        self._msg.tasks.add().query.CopyFrom(query)
        self._queued = True
        self._wake.set()

    def cancel(self, task_id: str) -> None:
        """Tell the worker to stop an activity that is no longer wanted."""
        self._msg.cancelled.append(task_id)
        self._queued = True
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def next_message(self) -> pb.ServerMessage | None:
        """Everything queued since the last call, as one message; None once closed."""
        while not self._queued:
            if self.closed:
                return None
            self._wake.clear()
            await self._wake.wait()
        if self._full:  # _queued stays set: _msg follows
            return self._full.popleft()
        msg, self._msg, self._queued, self._bytes = self._msg, pb.ServerMessage(), False, 0
        return msg
