"""Task queue limits of the distributed mode: the queues' configs and the shared permits, in
Cassandra (docs/task-queues.md).

Servers own runs, not queues, so a queue's limits hold across servers only through state they
share. Before the owner of a run produces a limited task to Kafka it takes, by lightweight
transactions (Paxos, ``IF NOT EXISTS``):

- a slot ``0..max_concurrent-1`` of the queue's permit partition;
- with a concurrency key, a slot ``0..max_per_key-1`` of the key's partition;
- with a rate, the row of the current tick (``floor(now * rate)``): one task per tick,
  whichever server wins it.

Each row names the task that holds it, so a server that takes over a run and produces its
task again finds the permit it already holds. The owner deletes the rows (``IF task_id = ?``)
when it records the attempt's end (a result, or a timeout: a killed worker's task times out or
is redelivered and finishes); a TTL frees rows of a server that died meanwhile.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from cassandra import ConsistencyLevel

from goblins.api import v1 as pb

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS task_queues (name text PRIMARY KEY, config blob)""",
    """CREATE TABLE IF NOT EXISTS queue_permits (pool text, slot int, task_id text, PRIMARY KEY ((pool), slot))""",
    """CREATE TABLE IF NOT EXISTS queue_ticks (queue text, tick bigint, task_id text, PRIMARY KEY ((queue), tick))""",
]
TICK_TTL = 60  # seconds a rate tick's row is kept: long past its use


class CassandraQueues:
    """The queues' configs and their permits (the tables are made on first use, so a keyspace
    set up by an earlier version needs no new setup)."""

    def __init__(self, session: Any, execute: Any) -> None:
        self._session = session
        self._execute = execute  # cassandra._execute (the store's bridge to asyncio)
        self._ready: asyncio.Future[None] | None = None

    async def _prepare(self) -> None:
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
            try:
                for statement in SCHEMA:
                    await self._execute(self._session, statement)
                p = self._session.prepare
                self._sel_configs = p("SELECT config FROM task_queues")
                self._set_config = p("INSERT INTO task_queues (name, config) VALUES (?, ?)")
                self._del_config = p("DELETE FROM task_queues WHERE name = ?")
                self._holders = p("SELECT slot, task_id FROM queue_permits WHERE pool = ?")
                self._take = p(
                    "INSERT INTO queue_permits (pool, slot, task_id) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?"
                )
                self._free = p("DELETE FROM queue_permits WHERE pool = ? AND slot = ? IF task_id = ?")
                self._tick = p(
                    "INSERT INTO queue_ticks (queue, tick, task_id) VALUES (?, ?, ?) IF NOT EXISTS USING TTL "
                    + str(TICK_TTL)
                )
                for stmt in (self._take, self._free, self._tick):
                    stmt.serial_consistency_level = ConsistencyLevel.SERIAL
                self._ready.set_result(None)
            except BaseException as exc:
                self._ready.set_exception(exc)
                self._ready.exception()  # retrieved: the next caller tries again
                self._ready = None
                raise
        await self._ready

    async def configs(self) -> list[pb.TaskQueueConfig]:
        await self._prepare()
        rows = await self._execute(self._session, self._sel_configs)
        return sorted((pb.TaskQueueConfig.FromString(r[0]) for r in rows), key=lambda c: c.name)

    async def set_config(self, config: pb.TaskQueueConfig) -> None:
        await self._prepare()
        if config.reset:
            await self._execute(self._session, self._del_config, (config.name,))
        else:
            await self._execute(self._session, self._set_config, (config.name, config.SerializeToString()))

    async def acquire(self, pool: str, size: int, task_id: str, ttl: float) -> int | None:
        """A slot of ``pool`` (of ``size``) for the task: the one it holds already, else a free
        one won by Paxos; None when all are held."""
        await self._prepare()
        held = {r[0]: r[1] for r in await self._execute(self._session, self._holders, (pool,))}
        for slot, holder in held.items():
            if holder == task_id:
                return int(slot)
        for slot in range(size):
            if slot in held:
                continue
            rows = await self._execute(self._session, self._take, (pool, slot, task_id, max(1, math.ceil(ttl))))
            if rows and rows[0][0]:
                return slot
        return None

    async def release(self, pool: str, slot: int, task_id: str) -> None:
        await self._prepare()
        await self._execute(self._session, self._free, (pool, slot, task_id))

    async def tick(self, queue: str, tick: int, task_id: str) -> bool:
        """Whether the task wins the queue's rate tick (one task per tick across servers)."""
        await self._prepare()
        rows = await self._execute(self._session, self._tick, (queue, tick, task_id))
        return bool(rows and (rows[0][0] or (len(rows[0]) > 3 and rows[0][3] == task_id)))
