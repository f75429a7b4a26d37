"""The schedules table of the Cassandra store: one row per schedule, its record and a version.

Every change is a lightweight transaction on the version the writer read (``IF version = ?``):
of several servers planning one schedule at once, Paxos lets one write and the others read
again, so no trigger, backfill or buffered time is lost to a concurrent write.
"""

from __future__ import annotations

from typing import Any

from cassandra import ConsistencyLevel
from cassandra.cluster import Session

SCHEMA = ["""CREATE TABLE IF NOT EXISTS schedules (schedule_id text PRIMARY KEY, data blob, version int)"""]
TABLES = ("schedules",)


class CassandraSchedules:
    def __init__(self, session: Session, execute: Any) -> None:
        self._execute = execute  # cassandra._execute (the store's bridge to asyncio)
        self._session = session
        p = session.prepare
        self._insert = p("INSERT INTO schedules (schedule_id, data, version) VALUES (?, ?, 1) IF NOT EXISTS")
        self._update = p("UPDATE schedules SET data = ?, version = ? WHERE schedule_id = ? IF version = ?")
        self._delete = p("DELETE FROM schedules WHERE schedule_id = ? IF EXISTS")
        for stmt in (self._insert, self._update, self._delete):
            stmt.serial_consistency_level = ConsistencyLevel.SERIAL
        # Read at SERIAL: a plan made on a stale version would only be refused, but a describe
        # right after a command should see it.
        self._get = p("SELECT data, version FROM schedules WHERE schedule_id = ?")
        self._get.consistency_level = ConsistencyLevel.SERIAL
        self._all = p("SELECT schedule_id, data, version FROM schedules")

    async def _applied(self, stmt: Any, args: tuple[Any, ...]) -> bool:
        rows = await self._execute(self._session, stmt, args)
        return bool(rows and rows[0][0])

    async def insert(self, schedule_id: str, data: bytes) -> bool:
        return await self._applied(self._insert, (schedule_id, data))

    async def update(self, schedule_id: str, data: bytes, version: int) -> bool:
        return await self._applied(self._update, (data, version + 1, schedule_id, version))

    async def delete(self, schedule_id: str) -> bool:
        return await self._applied(self._delete, (schedule_id,))

    async def get(self, schedule_id: str) -> tuple[bytes, int] | None:
        rows = await self._execute(self._session, self._get, (schedule_id,))
        return (bytes(rows[0][0]), rows[0][1]) if rows else None

    async def every(self) -> list[tuple[str, bytes, int]]:
        rows = await self._execute(self._session, self._all)
        return sorted((r[0], bytes(r[1]), r[2]) for r in rows)
