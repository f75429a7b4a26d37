"""The search index of the Cassandra store (docs/search.md).

A table per value kind, a partition per attribute name, clustered by value:
``search_kw`` (keywords, and a text attribute's words) and ``search_num`` (int, float,
datetime, bool as 0/1). Equality, IN, ranges and STARTS_WITH are one slice of one partition,
read in value order; no secondary index is involved. The built-ins are rows there too
(WorkflowType, WorkflowId, StartTime, CloseTime, an ended run's ExecutionStatus); a running
run's status is not a row (the end of every run would leave a tombstone in the RUNNING slice):
``ExecutionStatus = 'Running'`` reads the ``active_runs`` buckets instead.

``search_docs`` holds each run's built-ins and current attributes. A query's index lookups give
the candidate runs (AND intersects, OR unites); their docs are read by key and the whole query
is checked on them, then ordered and cut to the page. A query no index lookup can narrow (NOT
alone) reads every doc: docs/search.md says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from cassandra.cluster import Session

from goblins._query import And, Leaf, Not, Or, Plan, matches
from goblins._search import BOOL, DATETIME, FLOAT, INT, KEYWORD, TEXT, words
from goblins.api import v1 as pb
from goblins.history import RUNNING

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS search_kw (name text, value text, run_id text,
        PRIMARY KEY ((name), value, run_id))""",
    """CREATE TABLE IF NOT EXISTS search_num (name text, value double, run_id text,
        PRIMARY KEY ((name), value, run_id))""",
    """CREATE TABLE IF NOT EXISTS search_docs (run_id text PRIMARY KEY, workflow_name text, status text,
        created_at double, finished_at double, workflow_id text, attrs blob)""",
]
TABLES = ("search_kw", "search_num", "search_docs")
_NUMERIC = (INT, FLOAT, DATETIME, BOOL)
_TOP = chr(0x10FFFF)
DOCS_PER_READ = 100
# A matching run: its comparable values, its search_docs row, its attributes.
_Found = tuple[dict[str, Any], tuple[Any, ...], pb.SearchAttributesUpsertedAttributes]

Row = tuple[Any, tuple[Any, ...], Any]  # (statement, values, partition): cassandra.py's index rows


def _value(v: pb.SearchValue) -> tuple[str, Any]:
    which = v.WhichOneof("value")
    value = getattr(v, which)  # type: ignore[arg-type]
    return which, (float(value) if which in _NUMERIC else value)  # type: ignore[return-value]


def comparable(v: pb.SearchValue) -> Any:
    """A value as the query's Leaf compares it (text: its set of words)."""
    which, value = _value(v)
    return set(words(value)) if which == TEXT else value


class CassandraSearch:
    def __init__(self, session: Session, execute: Any, active_runs: Callable[[int], Any], buckets: int) -> None:
        self._session, self._execute = session, execute
        self._active_runs, self._buckets = active_runs, buckets
        p = session.prepare
        self.ins_kw = p("INSERT INTO search_kw (name, value, run_id) VALUES (?, ?, ?)")
        self.ins_num = p("INSERT INTO search_num (name, value, run_id) VALUES (?, ?, ?)")
        self.del_kw = p("DELETE FROM search_kw WHERE name = ? AND value = ? AND run_id = ?")
        self.del_num = p("DELETE FROM search_num WHERE name = ? AND value = ? AND run_id = ?")
        self.ins_doc = p(
            "INSERT INTO search_docs (run_id, workflow_name, status, created_at, finished_at, workflow_id, attrs) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self.end_doc = p("UPDATE search_docs SET status = ?, finished_at = ? WHERE run_id = ?")
        self.attrs_doc = p("UPDATE search_docs SET attrs = ? WHERE run_id = ?")
        self.sel_attrs = p("SELECT attrs FROM search_docs WHERE run_id = ?")
        self.sel_docs = p(
            "SELECT run_id, workflow_name, status, created_at, finished_at, workflow_id, attrs "
            "FROM search_docs WHERE run_id IN ?"
        )
        self._slices: dict[tuple[str, str], Any] = {}

    # ---- writes (rows for the store's commit) ----

    def _attr_rows(self, run_id: str, name: str, v: pb.SearchValue, delete: bool = False) -> list[Row]:
        if v.WhichOneof("value") is None:
            return []
        which, value = _value(v)
        if which == TEXT:
            stmt = self.del_kw if delete else self.ins_kw
            return [(stmt, (name, w, run_id), name) for w in words(value)]
        if which == KEYWORD:
            return [(self.del_kw if delete else self.ins_kw, (name, value, run_id), name)]
        return [(self.del_num if delete else self.ins_num, (name, value, run_id), name)]

    def started(self, e: pb.HistoryEvent, status: str, finished_at: float) -> list[Row]:
        a = e.workflow_scheduled
        wid = a.workflow_id or e.run_id.partition("~")[0]
        attrs = pb.SearchAttributesUpsertedAttributes(search_attributes=a.search_attributes).SerializeToString()
        rows: list[Row] = [
            (self.ins_doc, (e.run_id, e.workflow_name, status, e.time, finished_at, wid, attrs), e.run_id),
            (self.ins_kw, ("WorkflowType", e.workflow_name, e.run_id), "WorkflowType"),
            (self.ins_kw, ("WorkflowId", wid, e.run_id), "WorkflowId"),
            (self.ins_num, ("StartTime", e.time, e.run_id), "StartTime"),
        ]
        for name, v in a.search_attributes.items():
            rows += self._attr_rows(e.run_id, name, v)
        return rows

    def ended(self, run_id: str, status: str, at: float, doc_too: bool = True) -> list[Row]:
        rows: list[Row] = [
            (self.ins_kw, ("ExecutionStatus", status, run_id), "ExecutionStatus"),
            (self.ins_num, ("CloseTime", at, run_id), "CloseTime"),
        ]
        if doc_too:
            rows.append((self.end_doc, (status, at, run_id), run_id))
        return rows

    async def upserted(self, events: Iterable[pb.HistoryEvent]) -> list[Row]:
        """The rows of these upserts: old values out of the index, new ones in (reads each
        run's doc: the old values are there)."""
        rows: list[Row] = []
        docs: dict[str, pb.SearchAttributesUpsertedAttributes] = {}
        for e in events:
            doc = docs.get(e.run_id)
            if doc is None:
                found = await self._execute(self._session, self.sel_attrs, (e.run_id,))
                doc = pb.SearchAttributesUpsertedAttributes()
                if found and found[0][0]:
                    doc.ParseFromString(found[0][0])
                docs[e.run_id] = doc
            for name, v in e.search_attributes_upserted.search_attributes.items():
                old = doc.search_attributes.get(name)
                gone = self._attr_rows(e.run_id, name, old, delete=True) if old is not None else []
                new = self._attr_rows(e.run_id, name, v) if v.WhichOneof("value") is not None else []
                # A row both deleted and written in one batch shares its timestamp, and the
                # tombstone wins the tie: a value that stays is not deleted.
                kept = {r[1] for r in new}
                rows += [r for r in gone if r[1] not in kept] + new
                if new:
                    doc.search_attributes[name].CopyFrom(v)
                else:
                    doc.search_attributes.pop(name, None)
        rows += [(self.attrs_doc, (doc.SerializeToString(), run_id), run_id) for run_id, doc in docs.items()]
        return rows

    # ---- reads ----

    def _slice(self, table: str, where: str) -> Any:
        key = (table, where)
        if key not in self._slices:
            self._slices[key] = self._session.prepare(f"SELECT run_id FROM {table} WHERE name = ? AND {where}")
        return self._slices[key]

    async def _lookup(self, leaf: Leaf) -> set[str] | None:
        """The runs matching ``leaf`` by the index (None: the index cannot narrow it)."""
        if leaf.name == "RunId":
            return set(leaf.values) if leaf.op in ("=", "in") else None
        if leaf.name == "ExecutionStatus":
            if leaf.op not in ("=", "in"):
                return None
            out: set[str] = set()
            for status in leaf.values:
                if status == RUNNING:  # a superset (unsettled runs too): the docs decide
                    buckets = await asyncio.gather(*(self._active_runs(b) for b in range(self._buckets)))
                    out.update(r for bucket in buckets for r in bucket)
                else:
                    out |= await self._ask("search_kw", "value = ?", ("ExecutionStatus", status))
            return out
        table = "search_kw" if leaf.type in (KEYWORD, TEXT) else "search_num"
        if leaf.type == TEXT:
            sets = [await self._ask(table, "value = ?", (leaf.name, w)) for w in leaf.values]
            return set.intersection(*sets)
        v = leaf.values
        if leaf.op == "in":
            return await self._ask(table, "value IN ?", (leaf.name, list(v)))
        if leaf.op == "between":
            return await self._ask(table, "value >= ? AND value <= ?", (leaf.name, v[0], v[1]))
        if leaf.op == "starts_with":
            return await self._ask(table, "value >= ? AND value < ?", (leaf.name, v[0], v[0] + _TOP))
        if leaf.op == "!=":
            low, high = await asyncio.gather(
                self._ask(table, "value < ?", (leaf.name, v[0])), self._ask(table, "value > ?", (leaf.name, v[0]))
            )
            return low | high
        return await self._ask(table, f"value {leaf.op} ?", (leaf.name, v[0]))

    async def _all(self, statement: Any, args: Any = None) -> list[Any]:
        """Every row, through all of the driver's pages (a callback of ``_execute`` gets the
        first page only): in a thread, where the driver's blocking paging is fine."""
        session = self._session
        return await asyncio.get_running_loop().run_in_executor(None, lambda: list(session.execute(statement, args)))

    async def _ask(self, table: str, where: str, args: tuple[Any, ...]) -> set[str]:
        return {r[0] for r in await self._all(self._slice(table, where), args)}

    async def _candidates(self, node: Any) -> set[str] | None:
        if node is None or isinstance(node, Not):
            return None
        if isinstance(node, Leaf):
            return await self._lookup(node)
        parts = await asyncio.gather(*(self._candidates(n) for n in node.items))
        if isinstance(node, And):
            known = [p for p in parts if p is not None]
            return set.intersection(*known) if known else None
        assert isinstance(node, Or)
        return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]

    async def _docs(self, run_ids: set[str] | None) -> list[tuple[Any, ...]]:
        if run_ids is None:  # nothing narrows the query: every run's doc
            return await self._all(
                "SELECT run_id, workflow_name, status, created_at, finished_at, workflow_id, attrs FROM search_docs"
            )
        ids = sorted(run_ids)
        chunks = [ids[i : i + DOCS_PER_READ] for i in range(0, len(ids), DOCS_PER_READ)]
        results = await asyncio.gather(*(self._execute(self._session, self.sel_docs, (c,)) for c in chunks))
        return [row for rows in results for row in rows]

    async def _matching(self, plan: Plan) -> list[_Found]:
        out = []
        for row in await self._docs(await self._candidates(plan.where)):
            run_id, name, status, created_at, finished_at, wid, attrs = row
            doc = pb.SearchAttributesUpsertedAttributes.FromString(attrs or b"")
            values: dict[str, Any] = {n: comparable(v) for n, v in doc.search_attributes.items()}
            values.update(
                RunId=run_id,
                WorkflowId=wid,
                WorkflowType=name,
                ExecutionStatus=status,
                StartTime=created_at,
                CloseTime=finished_at or None,
            )
            if matches(plan.where, values):
                out.append((values, row, doc))
        return out

    async def search(self, plan: Plan, limit: int, offset: int) -> list[pb.RunInfo]:
        found = await self._matching(plan)
        found.sort(key=lambda f: f[0]["RunId"])
        for name, _type, desc in reversed(plan.order or (("StartTime", DATETIME, True),)):
            present = [f for f in found if f[0].get(name) is not None]
            missing = [f for f in found if f[0].get(name) is None]
            present.sort(key=lambda f: f[0][name], reverse=desc)  # stable: earlier keys' ties keep their order
            found = present + missing
        runs = []
        for _values, row, doc in found[offset : offset + limit]:
            run_id, name, status, created_at, finished_at, _wid, _attrs = row
            info = pb.RunInfo(
                run_id=run_id, workflow_name=name, status=status, created_at=created_at, finished_at=finished_at or 0
            )
            info.search_attributes.MergeFrom(doc.search_attributes)
            runs.append(info)
        return runs

    async def count(self, plan: Plan) -> int:
        return len(await self._matching(plan))
