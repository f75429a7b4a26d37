"""The event loop's commits: retried through a store outage, a refused batch isolated.

``StoreCommits`` is a part of ``EventLoop`` (server/loop.py), kept apart for its size: what a
failing store means for the loop (back-off, refusing new writes with the cause, quarantine).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from goblins.server.checks import completion_refused
from goblins.server.items import Item, _describe, _Register, _Report, _Start
from goblins.server.ports import Batch, EventStore, StoreConflict, StoreRejected, StoreUnavailable

if TYPE_CHECKING:
    from goblins.server.metrics import ServerMetrics

log = logging.getLogger("goblins.server")

COMMIT_PATIENCE = 300.0  # a commit failing with an error other than an outage: then the server stops
OUTAGE_LOG_EVERY = 30.0  # seconds between two log lines of one outage


class StoreCommits:
    """EventLoop's commit path and outage state (a mixin: EventLoop sets the attributes)."""

    store: EventStore
    clock: Callable[[], float]
    outage: str
    _writers: set[asyncio.Future[Any]]
    _outage_listeners: list[Callable[[str], None]]
    _queue: asyncio.Queue[Item]
    metrics: ServerMetrics | None

    if TYPE_CHECKING:

        async def _turn(self, items: list[Item], attempt: int = 0) -> None: ...

    def watch(self, fut: asyncio.Future[Any]) -> None:
        """``fut`` waits for a commit on behalf of a client: it fails with StoreUnavailable if
        commits start failing meanwhile (the request is kept, and recorded once they succeed)."""
        self._writers.add(fut)
        fut.add_done_callback(self._writers.discard)

    def on_outage(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(cause)`` when commits start failing (e.g. to end worker sessions)."""
        self._outage_listeners.append(listener)

    def refuse_in_outage(self) -> None:
        """Raise StoreUnavailable, naming the cause, while commits fail."""
        if self.outage:
            raise StoreUnavailable(self.outage)

    async def _isolate(self, items: list[Item], exc: StoreRejected) -> None:
        if len(items) > 1:
            half = len(items) // 2
            await self._turn(items[:half])
            await self._turn(items[half:])
            return
        item = items[0]
        log.error("store refused an item, quarantined: %s (%s)", _describe(item), exc)
        if isinstance(item, _Report) and item.report.HasField("workflow_task_completed"):
            # The run goes on: its workflow task fails with the reason (and is retried).
            completion = item.report.workflow_task_completed
            refused = completion_refused(completion, f"workflow task completion refused by the store: {exc}")
            self._queue.put_nowait(_Report(refused, item.ack, item.done_task))
            return
        if isinstance(item, (_Start, _Register)) and item.reply is not None and not item.reply.done():
            item.reply.set_exception(exc)
        if isinstance(item, (_Start, _Report)):
            # Dropped for good: the sender must not resend it, nor a message task redeliver it.
            if item.done_task:
                await self._commit(Batch(now=self.clock(), done_tasks=[item.done_task]))
            if item.ack is not None:
                item.ack()

    async def _commit(self, batch: Batch) -> None:
        """Commit, retrying a failing store (a full disk, Cassandra restarting) with back-off.

        Nothing is acknowledged meanwhile; a retried batch is idempotent (stores treat a
        second write of identical events as done). While the store is unavailable, clients
        waiting for a commit and new writes are answered UNAVAILABLE with the cause, and the
        retries go on until it is back. Any other error stops the server after COMMIT_PATIENCE.
        """
        delay, deadline, logged = 0.05, self.clock() + COMMIT_PATIENCE, 0.0
        since = self.clock()
        while True:
            try:
                began = time.perf_counter()
                await self.store.commit(batch)
                if self.metrics is not None:
                    self.metrics.commit(time.perf_counter() - began, len(batch.events))
                if self.outage:
                    log.warning("store commits again after %.1fs (was: %s)", self.clock() - since, self.outage)
                    self.outage = ""
                return
            except (StoreConflict, StoreRejected):
                raise
            except Exception as exc:
                now = self.clock()
                if not isinstance(exc, StoreUnavailable) and now > deadline:
                    raise
                began = not self.outage
                self.outage = f"{exc}" if isinstance(exc, StoreUnavailable) else f"{type(exc).__name__}: {exc}"
                if began:
                    for listener in self._outage_listeners:
                        listener(self.outage)
                refused = StoreUnavailable(self.outage)
                for fut in list(self._writers):
                    if not fut.done():
                        fut.set_exception(refused)
                if now - logged >= OUTAGE_LOG_EVERY:
                    logged = now
                    log.warning("store commit failed (%s: %s); retrying every %.2fs", type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
