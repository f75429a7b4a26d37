"""The owner server's gate on limited task queues, in the distributed mode.

A task of a queue with limits is not produced to Kafka at once: it waits here, in priority
order (a ``flow.Gate`` without limits of its own), until the server wins the queue's shared
permits in Cassandra (``queues.CassandraQueues``); the permits are freed when the owner records
the attempt's end. Tasks of queues without limits are produced straight away, as before.

Trade-offs (docs/task-queues.md): a limited task costs two to four Paxos round trips before it
is produced; priorities order the tasks waiting on one server, not across servers; a rate is
one task per tick of ``1/rate`` seconds, won by whichever server asks first.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence

from goblins.api import v1 as pb
from goblins.server.distributed.queues import CassandraQueues
from goblins.server.effects import ACTIVITY, TaskRecord
from goblins.server.flow import Gate, Limits, limits_of

log = logging.getLogger("goblins.server.kafka")

PUMP = 0.05  # how often waiting tasks try for their permits again
REFRESH = 2.0  # how often the queues' limits are read again (another server may set them)
NO_TIMEOUT_TTL = 3600.0  # a permit's TTL for a task without start_to_close_timeout


class KafkaFlow:
    def __init__(
        self,
        queues: CassandraQueues,
        produce: Callable[[list[TaskRecord]], Awaitable[None]],
        clock: Callable[[], float],
        wanted: Callable[[TaskRecord], bool] = lambda t: True,
    ) -> None:
        self.store = queues
        self._wanted = wanted  # False: its run ended while it waited (dropped)
        self._produce = produce
        self._clock = clock
        self.limits: dict[str, Limits] = {}
        self._gates: dict[str, Gate[TaskRecord]] = {}
        self._held: dict[str, list[tuple[str, int]]] = {}  # task id -> (pool, slot) permits
        self._blocked: dict[str, str] = {}  # queue -> why its next task waits
        self._wake = asyncio.Event()
        self._releasing: set[asyncio.Future[None]] = set()

    def limited(self, t: TaskRecord) -> bool:
        return t.kind == ACTIVITY and bool(self.limits.get(t.queue))

    def hold_back(self, t: TaskRecord) -> None:
        """A limited task waits for its permits."""
        gate = self._gates.get(t.queue)
        if gate is None:
            gate = self._gates[t.queue] = Gate(t.queue or "default", Limits(), self._clock())
        gate.push(t.name, t.task_id, t, t.priority, t.ckey, False)
        self._wake.set()

    async def load(self) -> None:
        """Read the queues' limits (at start, before any task is produced)."""
        try:
            self.limits = {c.name: limits_of(c) for c in await self.store.configs()}
        except Exception as exc:  # run() tries again
            log.warning("task queues: limits not read: %s", exc)

    def run_ended(self, run_id: str) -> None:
        """A run ended: the permits of its attempts that never reported free too."""
        prefix = run_id + "/"
        for task_id in [t for t in self._held if t.startswith(prefix)]:
            self.finished(task_id)

    def finished(self, task_id: str) -> None:
        """The attempt ended (recorded by this owner): its permits free."""
        held = self._held.pop(task_id, None)
        if held:
            releasing = asyncio.ensure_future(self._release(task_id, held))
            self._releasing.add(releasing)
            releasing.add_done_callback(self._releasing.discard)

    async def _release(self, task_id: str, held: list[tuple[str, int]]) -> None:
        try:
            for pool, slot in held:
                await self.store.release(pool, slot, task_id)
        except Exception as exc:  # the TTL frees them
            log.warning("task queues: permits of %s not freed: %s", task_id, exc)
        self._wake.set()

    def waiting(self, queue: str) -> str:
        gate = self._gates.get(queue)
        return self._blocked.get(queue, "") if gate is not None and gate.waiting else ""

    def stats(self) -> dict[str, tuple[int, int]]:
        """(in flight, waiting) by queue, as this server knows them."""
        flying: dict[str, int] = {}
        for pools in self._held.values():
            queue = pools[0][0].partition("#")[0] if pools else ""
            flying[queue] = flying.get(queue, 0) + 1
        return {
            q: (flying.get(q, 0), self._gates[q].waiting if q in self._gates else 0) for q in {*flying, *self._gates}
        }

    async def set(self, config: pb.TaskQueueConfig) -> None:
        await self.store.set_config(config)
        self._apply([config] if not config.reset else [], removed=[config.name] if config.reset else [])

    def _apply(self, configs: list[pb.TaskQueueConfig], removed: Sequence[str] = ()) -> None:
        for c in configs:
            self.limits[c.name] = limits_of(c)
        for name in removed:
            self.limits.pop(name, None)
        self._wake.set()

    async def run(self) -> None:
        """Refresh the limits now and then; hand out permits as they free."""
        refreshed = 0.0
        while True:
            now = self._clock()
            if now - refreshed >= REFRESH:
                try:
                    configs = await self.store.configs()
                    self.limits = {c.name: limits_of(c) for c in configs}
                    refreshed = now
                except Exception as exc:
                    log.warning("task queues: limits not read: %s", exc)
            try:
                await self._pump()
            except Exception as exc:
                log.warning("task queues: %s", exc)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), PUMP)
            except TimeoutError:
                pass

    async def _pump(self) -> None:
        for queue, gate in list(self._gates.items()):
            limits = self.limits.get(queue)
            at_key: list[TaskRecord] = []
            while gate.waiting:
                got = gate.take(list(gate.names()), self._clock(), lambda _id, t: self._wanted(t))
                if got is None:
                    break
                t = got[1]
                if not limits:  # its limits were removed: it goes now
                    await self._produce([t])
                    continue
                why = await self._permits(t, limits)
                if not why:
                    await self._produce([t])
                    continue
                if why.startswith("key"):
                    at_key.append(t)
                    continue
                self._blocked[queue] = why
                gate.push(t.name, t.task_id, t, t.priority, t.ckey, False, front=True)
                break
            for t in at_key:
                gate.push(t.name, t.task_id, t, t.priority, t.ckey, False, front=True)

    async def _permits(self, t: TaskRecord, lim: Limits) -> str:
        """ "" when the task holds its permits now, else why not."""
        ttl = (t.timeout or NO_TIMEOUT_TTL) + 60.0
        q = t.queue or "default"
        held: list[tuple[str, int]] = []
        if lim.max_concurrent:
            slot = await self.store.acquire(t.queue, lim.max_concurrent, t.task_id, ttl)
            if slot is None:
                return f"queue {q} at max_concurrent {lim.max_concurrent}"
            held.append((t.queue, slot))
        if lim.max_per_key and t.ckey:
            pool = f"{t.queue}#{t.ckey}"
            slot = await self.store.acquire(pool, lim.max_per_key, t.task_id, ttl)
            if slot is None:
                await self._release(t.task_id, held)
                return f"key {t.ckey!r} of queue {q} at max_per_key {lim.max_per_key}"
            held.append((pool, slot))
        if lim.rate_per_second:
            tick = math.floor(self._clock() * lim.rate_per_second)
            if not await self.store.tick(t.queue, tick, t.task_id):
                await self._release(t.task_id, held)
                return f"queue {q} at rate {lim.rate_per_second:g}/s"
        self._held[t.task_id] = held
        return ""
