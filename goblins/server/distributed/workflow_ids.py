"""The workflow id rows of the Cassandra store: which run is each workflow id's current one.

A claim is a lightweight transaction on the id's row (``IF NOT EXISTS``, or ``IF run_id = ?``
naming the run the claimer saw): of two servers starting one id at once, Paxos lets one win,
and the other sees the winner's run when it reads again.
"""

from __future__ import annotations

from typing import Any

from cassandra import ConsistencyLevel
from cassandra.cluster import Session

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS workflow_ids (workflow_id text PRIMARY KEY, run_id text, claimed_at double)""",
    """CREATE TABLE IF NOT EXISTS run_workflow_ids (run_id text PRIMARY KEY, workflow_id text)""",
]
TABLES = ("workflow_ids", "run_workflow_ids")


class CassandraWorkflowIds:
    def __init__(self, session: Session, execute: Any) -> None:
        self._execute = execute  # cassandra._execute (the store's bridge to asyncio)
        self._session = session
        p = session.prepare
        self._insert = p("INSERT INTO workflow_ids (workflow_id, run_id, claimed_at) VALUES (?, ?, ?) IF NOT EXISTS")
        self._update = p("UPDATE workflow_ids SET run_id = ?, claimed_at = ? WHERE workflow_id = ? IF run_id = ?")
        for stmt in (self._insert, self._update):
            stmt.serial_consistency_level = ConsistencyLevel.SERIAL
        self._select = p("SELECT run_id, claimed_at FROM workflow_ids WHERE workflow_id = ?")
        # Read at the session's LOCAL_QUORUM, not SERIAL (a Paxos round per signal by id): a
        # claim decided on a stale read names a run the row is no longer at, and is refused.
        self._link = p("INSERT INTO run_workflow_ids (run_id, workflow_id) VALUES (?, ?)")
        self._of = p("SELECT run_id, workflow_id FROM run_workflow_ids WHERE run_id IN ?")

    async def claim(self, workflow_id: str, run_id: str, expected: str | None, now: float) -> bool:
        if expected is None:
            rows = await self._execute(self._session, self._insert, (workflow_id, run_id, now))
        else:
            rows = await self._execute(self._session, self._update, (run_id, now, workflow_id, expected))
        won = bool(rows and rows[0][0])
        if won:
            await self._execute(self._session, self._link, (run_id, workflow_id))
        return won

    async def current(self, workflow_id: str) -> tuple[str, float] | None:
        rows = await self._execute(self._session, self._select, (workflow_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    async def of_runs(self, run_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(run_ids), 100):
            rows = await self._execute(self._session, self._of, (run_ids[i : i + 100],))
            out.update((r[0], r[1]) for r in rows)
        return out
