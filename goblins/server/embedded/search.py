"""The search index of the SQLite store (docs/search.md).

- ``search_values``: one row per (run, attribute) — per word for a text attribute — with the
  value in one column of SQLite's dynamic type (keyword: TEXT; int, float, datetime: numbers;
  bool: 0/1). The declared type of a name never changes, so one name's values never mix types.
  Its index on (name, value, run_id) answers every predicate on an attribute: equality, IN,
  ranges and STARTS_WITH (a range on the prefix) walk one slice of it.
- The built-in attributes are columns of ``runs`` (WorkflowType, ExecutionStatus, StartTime,
  CloseTime, RunId), with indexes that lead with them and end with ``created_at`` (the default
  order); WorkflowId is a ``search_values`` row, written with the start.
- ``search_docs``: each run's current attributes, one blob, for the list's answer.

A query compiles to one SELECT on ``runs``: each attribute predicate becomes
``run_id IN (SELECT run_id FROM search_values WHERE name = ? AND value ...)``, which SQLite
answers from the index (``EXPLAIN QUERY PLAN`` in tests/integration/test_search_sqlite.py).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from goblins._query import And, Leaf, Not, Or, Plan
from goblins._search import TEXT, words
from goblins.api import v1 as pb

SCHEMA = """
CREATE TABLE IF NOT EXISTS search_values (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value ANY NOT NULL,
    PRIMARY KEY (run_id, name, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_by_value ON search_values (name, value, run_id);
CREATE TABLE IF NOT EXISTS search_docs (run_id TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_name ON runs (workflow_name, created_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_at);
CREATE INDEX IF NOT EXISTS runs_by_finished ON runs (finished_at);
"""

_COLUMNS = {
    "RunId": "r.run_id",
    "WorkflowType": "r.workflow_name",
    "ExecutionStatus": "r.status",
    "StartTime": "r.created_at",
    "CloseTime": "r.finished_at",
}
OPTIMIZE_EVERY = 600.0  # seconds between two PRAGMA optimize of a serving store (see tune)
_optimized = 0.0

_SQL_OPS = {"=": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_TOP = chr(0x10FFFF)


def tune(conn: sqlite3.Connection, first: bool = True) -> None:
    """Refresh the planner's statistics where they are stale (``PRAGMA optimize``, bounded by
    ``analysis_limit`` to milliseconds). Without them SQLite guesses, and may drive a query
    from ``runs_by_name`` (a quarter of all runs) instead of one attribute's slice: measured
    ~200 ms against ~15 ms on 100,000 runs. Run when the store opens, then every
    ``OPTIMIZE_EVERY`` seconds from a query (the tables grow while a server runs)."""
    global _optimized
    _optimized = time.monotonic()
    conn.execute("PRAGMA analysis_limit=1000")
    conn.execute("PRAGMA optimize=0x10002" if first else "PRAGMA optimize")


def _stored(v: pb.SearchValue) -> Any:
    which = v.WhichOneof("value")
    value = getattr(v, which)  # type: ignore[arg-type]
    return int(value) if which == "bool" else value


def _rows(run_id: str, name: str, v: pb.SearchValue) -> list[tuple[str, str, Any]]:
    if v.WhichOneof("value") == TEXT:
        return [(run_id, name, w) for w in words(v.text)]
    return [(run_id, name, _stored(v))]


def index_event(c: sqlite3.Connection, e: pb.HistoryEvent) -> None:
    """Index a start's (WORKFLOW_SCHEDULED) or an upsert's attributes, in the commit's transaction."""
    if e.type == pb.WORKFLOW_SCHEDULED:
        a = e.workflow_scheduled
        wid = a.workflow_id or e.run_id.partition("~")[0]  # a continued run: its chain's first run
        rows = [(e.run_id, "WorkflowId", wid)]
        for name, v in a.search_attributes.items():
            rows += _rows(e.run_id, name, v)
        c.executemany("INSERT OR IGNORE INTO search_values VALUES (?, ?, ?)", rows)
        if a.search_attributes:
            doc = pb.SearchAttributesUpsertedAttributes(search_attributes=a.search_attributes)
            c.execute("INSERT OR REPLACE INTO search_docs VALUES (?, ?)", (e.run_id, doc.SerializeToString()))
        return
    changes = e.search_attributes_upserted.search_attributes
    row = c.execute("SELECT data FROM search_docs WHERE run_id = ?", (e.run_id,)).fetchone()
    doc = pb.SearchAttributesUpsertedAttributes.FromString(row[0]) if row else pb.SearchAttributesUpsertedAttributes()
    for name, v in changes.items():
        c.execute("DELETE FROM search_values WHERE run_id = ? AND name = ?", (e.run_id, name))
        if v.WhichOneof("value") is None:
            doc.search_attributes.pop(name, None)
            continue
        c.executemany("INSERT OR IGNORE INTO search_values VALUES (?, ?, ?)", _rows(e.run_id, name, v))
        doc.search_attributes[name].CopyFrom(v)
    c.execute("INSERT OR REPLACE INTO search_docs VALUES (?, ?)", (e.run_id, doc.SerializeToString()))


def _predicate(leaf: Leaf, column: str, args: list[Any]) -> str:
    """``column`` compared as ``leaf`` says."""
    if leaf.op in _SQL_OPS:
        args.append(leaf.values[0])
        return f"{column} {_SQL_OPS[leaf.op]} ?"
    if leaf.op == "in":
        args.extend(leaf.values)
        return f"{column} IN ({', '.join('?' * len(leaf.values))})"
    if leaf.op == "between":
        args.extend(leaf.values)
        return f"{column} BETWEEN ? AND ?"
    args += [leaf.values[0], leaf.values[0] + _TOP]  # starts_with: a range of the index
    return f"{column} >= ? AND {column} < ?"


_RANK = {"=": 0, "in": 1, "between": 2, "starts_with": 2, "<": 3, "<=": 3, ">": 3, ">=": 3, "!=": 4}


def _driver(items: tuple[Any, ...]) -> Any:
    """Of an AND's attribute predicates, the one likeliest to match fewest runs (equality first):
    it alone is an ``IN (subquery)`` that SQLite reads from the index; the others are checked
    per run by ``EXISTS`` on the (run_id, name, value) key, instead of each materializing its
    whole slice of the index."""
    leaves = [n for n in items if isinstance(n, Leaf) and n.name not in _COLUMNS]
    return min(leaves, key=lambda n: _RANK[n.op], default=None)


def _where(node: Any, args: list[Any], probe: bool = False) -> str:
    if isinstance(node, And):
        driver = _driver(node.items)  # none: the built-ins' own indexes on runs drive
        return "(" + " AND ".join(_where(n, args, probe=n is not driver) for n in node.items) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(_where(n, args) for n in node.items) + ")"
    if isinstance(node, Not):
        return f"NOT {_where(node.item, args, probe=True)}"
    leaf: Leaf = node
    column = _COLUMNS.get(leaf.name)
    if column is not None:
        test = _predicate(leaf, column, args)
        return f"(r.finished_at > 0 AND {test})" if leaf.name == "CloseTime" else f"({test})"
    if probe:  # checked for one run at a time: a lookup of its own key
        tests = []
        for word in leaf.values if leaf.type == TEXT else (None,):
            args += [leaf.name]
            test = "value = ?" if word is not None else _predicate(leaf, "value", args)
            if word is not None:
                args.append(word)
            tests.append(f"EXISTS (SELECT 1 FROM search_values WHERE run_id = r.run_id AND name = ? AND {test})")
        return "(" + " AND ".join(tests) + ")"
    if leaf.type == TEXT:  # every word of the literal: one lookup each
        parts = []
        for word in leaf.values:
            args += [leaf.name, word]
            parts.append("r.run_id IN (SELECT run_id FROM search_values WHERE name = ? AND value = ?)")
        return "(" + " AND ".join(parts) + ")"
    args.append(leaf.name)
    test = _predicate(leaf, "value", args)
    return f"r.run_id IN (SELECT run_id FROM search_values WHERE name = ? AND {test})"


def _order(plan: Plan, args: list[Any]) -> str:
    if not plan.order:
        return "r.created_at DESC, r.run_id ASC"
    keys = []
    for name, _type, desc in plan.order:
        column = _COLUMNS.get(name)
        if column is None:
            args.append(name)
            column = "(SELECT value FROM search_values WHERE run_id = r.run_id AND name = ?)"
        elif name == "CloseTime":
            column = "NULLIF(r.finished_at, 0)"
        keys.append(f"{column} IS NULL, {column} {'DESC' if desc else 'ASC'}")
        if column.startswith("(SELECT"):  # the same subquery twice: its name bound twice
            args.append(name)
    return ", ".join(keys) + ", r.run_id ASC"


def select(plan: Plan, limit: int, offset: int) -> tuple[str, list[Any]]:
    """The SQL (and its arguments) of one page of the plan's runs."""
    args: list[Any] = []
    where = f" WHERE {_where(plan.where, args)}" if plan.where is not None else ""
    order = _order(plan, args)
    sql = f"SELECT r.run_id, r.workflow_name, r.status, r.created_at, r.finished_at FROM runs r{where} ORDER BY {order}"
    return sql + " LIMIT ? OFFSET ?", [*args, limit, offset]


def search(conn: sqlite3.Connection, plan: Plan, limit: int, offset: int) -> list[pb.RunInfo]:
    if time.monotonic() - _optimized > OPTIMIZE_EVERY:
        try:
            tune(conn, first=False)
        except sqlite3.OperationalError:
            pass  # the writer held the lock past busy_timeout: next time
    sql, args = select(plan, limit, offset)
    rows = conn.execute(sql, args).fetchall()
    runs = [pb.RunInfo(run_id=r[0], workflow_name=r[1], status=r[2], created_at=r[3], finished_at=r[4]) for r in rows]
    if runs:
        marks = ",".join("?" * len(runs))
        docs = dict(
            conn.execute(f"SELECT run_id, data FROM search_docs WHERE run_id IN ({marks})", [r.run_id for r in runs])
        )
        for r in runs:
            if r.run_id in docs:
                doc = pb.SearchAttributesUpsertedAttributes.FromString(docs[r.run_id])
                r.search_attributes.MergeFrom(doc.search_attributes)
    return runs


def count(conn: sqlite3.Connection, plan: Plan) -> int:
    args: list[Any] = []
    where = f" WHERE {_where(plan.where, args)}" if plan.where is not None else ""
    return int(conn.execute(f"SELECT COUNT(*) FROM runs r{where}", args).fetchone()[0])


__all__ = ["SCHEMA", "count", "index_event", "search", "select"]
