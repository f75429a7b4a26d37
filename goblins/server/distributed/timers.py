"""Timers of the distributed mode: rows of Cassandra's ``timers`` table, fired by their owner.

The store writes a timer's row with the batch that created it (a task due later: a durable
timer, a retry back-off, an execution deadline), in the bucket of the Kafka partition that owns
the run, so each server scans only its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from goblins.server.distributed.cassandra import TIMER_BATCH, CassandraStore, _execute
from goblins.server.effects import TaskRecord, restore_flow

log = logging.getLogger("goblins.server.timers")

# The durable rows are rescanned this often as a backstop (see CassandraTimers).
TIMER_RESCAN = 2.0


class CassandraTimers:
    """Timers of the distributed mode: rows of ``timers``, written with their batch by the
    store, fired by the server that owns their partition.

    Timers fire from memory at their due time (the owner knows the next due time of every
    timer it wrote or found); the rows, the durable record, are scanned on a takeover and every
    TIMER_RESCAN seconds as a backstop (a row another server wrote just before losing the
    partition). Firing a timer publishes its task, then deletes its row.
    """

    def __init__(self, store: CassandraStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock
        self._next_due: dict[int, float] = {}  # owned partition -> earliest due time of a timer there
        self._wake = asyncio.Event()
        self._owned: Callable[[], set[int]] = set
        self._fire: Callable[[list[TaskRecord]], Awaitable[None]] | None = None

    def bind(self, owned: Callable[[], set[int]], fire: Callable[[list[TaskRecord]], Awaitable[None]]) -> None:
        """``owned``: the partitions this server owns; ``fire``: publish due timers' tasks."""
        self._owned, self._fire = owned, fire

    # ---- Timers ----

    async def schedule(self, timers: list[TaskRecord]) -> None:
        """Timers of a committed batch: due ones fire now, the others from memory when due
        (their rows were written with the batch)."""
        assert self._fire is not None
        now = self._clock()
        due = [t for t in timers if t.visible_at <= now]
        for t in timers:
            if t.visible_at > now:
                self.at(self._store.bucket_of(t.run_id), t.visible_at)
        if due:
            await self._fire(due)

    def next_due(self) -> float | None:
        due = min(self._next_due.values(), default=float("inf"))
        return None if due == float("inf") else due

    def fire_due(self) -> None:
        self._wake.set()

    # ---- for the Kafka transport ----

    def at(self, partition: int, due: float) -> None:
        """A timer of ``partition`` is due at ``due`` (0: scan the partition's timers now)."""
        if partition not in self._owned():
            return
        if due < self._next_due.get(partition, float("inf")):
            self._next_due[partition] = due
            self._wake.set()

    def drop(self, partition: int) -> None:
        """The partition moved to another server."""
        self._next_due.pop(partition, None)

    async def run(self) -> None:
        """Fire due timers: publish their tasks, then delete their rows."""
        assert self._fire is not None
        clock = self._clock
        rescan_at = clock() + TIMER_RESCAN
        while True:
            now = clock()
            wake_at = min(min(self._next_due.values(), default=rescan_at), rescan_at)
            if wake_at > now:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wake_at - now)
                except TimeoutError:
                    pass
                continue
            if now >= rescan_at:
                buckets = sorted(self._owned())
                rescan_at = now + TIMER_RESCAN
            else:
                buckets = sorted(b for b, due in self._next_due.items() if due <= now)
            for b in buckets:  # timers committed during the scan lower these again
                self._next_due[b] = float("inf")
            try:
                due = await self.due_timers(buckets, now)
                if due:
                    await self._fire([t for _, t in due])
                    await self.delete_timers(due)
                counts: dict[int, int] = {}
                for b, _ in due:
                    counts[b] = counts.get(b, 0) + 1
                for b, n in counts.items():
                    if n >= TIMER_BATCH:
                        self.at(b, now)  # more are due
                for b, next_due in (await self.next_timers(buckets, now)).items():
                    self.at(b, next_due)
            except Exception as exc:
                log.warning("timers: %s", exc)
                for b in buckets:
                    self.at(b, now + 0.1)  # try again shortly
                await asyncio.sleep(0.1)

    async def due_timers(self, buckets: list[int], now: float) -> list[tuple[int, TaskRecord]]:
        out: list[tuple[int, TaskRecord]] = []
        for bucket in buckets:
            for due, task_id, run_id, kind, name, timeout, data in await _execute(
                self._store.session, self._store._sel_timers, (bucket, now)
            ):
                t = TaskRecord(task_id, run_id, kind, name, due, data, timeout)
                restore_flow(t)
                out.append((bucket, t))
        return out

    async def next_timers(self, buckets: list[int], now: float) -> dict[int, float]:
        """The earliest due time after ``now`` of each bucket's timers (buckets without any left out)."""
        found = await asyncio.gather(
            *(_execute(self._store.session, self._store._sel_next_timer, (b, now)) for b in buckets)
        )
        return {b: rows[0][0] for b, rows in zip(buckets, found, strict=True) if rows}

    async def delete_timers(self, timers: list[tuple[int, TaskRecord]]) -> None:
        await asyncio.gather(
            *(_execute(self._store.session, self._store._del_timer, (b, t.visible_at, t.task_id)) for b, t in timers)
        )
