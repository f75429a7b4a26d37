"""Visibility queries against a brute-force filter: 10,000 runs with a random mix of attributes,
statuses and upserts, committed straight through each store (SQLite always, Cassandra when
requested: see conftest.py), then 40 random queries whose counts and first pages must equal what
a plain Python filter of the same runs says. The filter below works on the parser's syntax tree
with its own conversions: it shares no evaluation code with the stores."""

from __future__ import annotations

import datetime
import pathlib
import random
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from goblins._query import And, Compare, Not, Or, compile_query, parse
from goblins._search import encode, words
from goblins.api import v1 as pb
from goblins.server.embedded import search as sqlite_search
from goblins.server.ports import Batch
from tests.contract.backends import CASSANDRA, needs_cassandra

RUNS = 10_000
QUERIES = 40
TYPES = {"customer": "keyword", "amount": "float", "priority": "int", "vip": "bool", "due": "datetime", "note": "text"}
NAMES = ["order", "refund", "ship"]
VOCAB = ["rush", "fragile", "gift", "bulk", "cold", "late"]
T0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC).timestamp()
DAY = 86_400.0


def _attributes(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rng.random() < 0.8:
        out["customer"] = f"c-{rng.randrange(40)}"
    if rng.random() < 0.6:
        out["amount"] = round(rng.uniform(0, 1000), 2)
    if rng.random() < 0.7:
        out["priority"] = rng.randint(1, 5)
    if rng.random() < 0.5:
        out["vip"] = rng.random() < 0.3
    if rng.random() < 0.5:
        out["due"] = datetime.datetime.fromtimestamp(T0 + rng.uniform(0, 60) * DAY, datetime.UTC)
    if rng.random() < 0.4:
        out["note"] = " ".join(rng.sample(VOCAB, rng.randint(1, 3)))
    return out


def _wire(attrs: dict[str, Any]) -> dict[str, pb.SearchValue]:
    out = encode(attrs)
    for name, v in out.items():
        if TYPES[name] == "text":
            out[name] = pb.SearchValue(text=v.keyword)
    return out


def _population(seed: int) -> tuple[list[list[pb.HistoryEvent]], dict[str, dict[str, Any]]]:
    """Batches of events to commit, and each run's values as the brute force reads them."""
    rng = random.Random(seed)
    starts, ends, upserts = [], [], []
    model: dict[str, dict[str, Any]] = {}
    for i in range(RUNS):
        run_id = f"r{i:05d}-{rng.randrange(10**6):06d}"
        name, created = rng.choice(NAMES), T0 + rng.uniform(0, 30) * DAY
        attrs = _attributes(rng)
        wid = f"w-{i % 3000}" if rng.random() < 0.5 else ""
        e = pb.HistoryEvent(run_id=run_id, seq=1, time=created, type=pb.WORKFLOW_SCHEDULED, workflow_name=name)
        e.workflow_scheduled.workflow_id = wid
        for k, v in _wire(attrs).items():
            e.workflow_scheduled.search_attributes[k].CopyFrom(v)
        starts.append(e)
        doc = dict(attrs, RunId=run_id, WorkflowId=wid or run_id, WorkflowType=name, StartTime=created)
        doc.update(ExecutionStatus="RUNNING", CloseTime=None)
        seq = 2
        if rng.random() < 0.25:  # an upsert: a new customer and priority, no amount
            change = {"customer": f"c-{rng.randrange(40)}", "priority": rng.randint(1, 5)}
            u = pb.HistoryEvent(run_id=run_id, seq=seq, time=created + 5, type=pb.SEARCH_ATTRIBUTES_UPSERTED)
            u.workflow_name = name
            for k, v in _wire(change).items():
                u.search_attributes_upserted.search_attributes[k].CopyFrom(v)
            u.search_attributes_upserted.search_attributes["amount"].CopyFrom(pb.SearchValue())
            u.search_attributes_upserted.upsert_id = "upsert-1"
            upserts.append(u)
            doc.update(change)
            doc.pop("amount", None)
            seq += 1
        if rng.random() < 0.5:
            closed = created + rng.uniform(1, 3) * DAY
            ok = rng.random() < 0.7
            kind = pb.WORKFLOW_FINISHED_IN_SUCCESS if ok else pb.WORKFLOW_FINISHED_IN_ERROR
            end = pb.HistoryEvent(run_id=run_id, seq=seq, time=closed, type=kind, workflow_name=name)
            if ok:
                end.workflow_finished_in_success.SetInParent()
            else:
                end.workflow_finished_in_error.failure.type = "ValueError"
            ends.append(end)
            doc.update(ExecutionStatus="COMPLETED" if ok else "FAILED", CloseTime=closed)
        model[run_id] = doc
    cut = 500
    batches = [starts[i : i + cut] for i in range(0, len(starts), cut)]
    batches += [upserts[i : i + cut] for i in range(0, len(upserts), cut)]
    batches += [ends[i : i + cut] for i in range(0, len(ends), cut)]
    return batches, model


# ---- the brute force ----

_ALL = {**TYPES, "RunId": "keyword", "WorkflowId": "keyword", "WorkflowType": "keyword"}
_ALL.update(ExecutionStatus="keyword", StartTime="datetime", CloseTime="datetime")


def _plain(field: str, v: Any) -> Any:
    t = _ALL[field]
    if t == "datetime" and isinstance(v, str):
        return datetime.datetime.fromisoformat(v).replace(tzinfo=datetime.UTC).timestamp()
    if field == "ExecutionStatus":
        return v.upper()
    return v


def _value(doc: dict[str, Any], field: str) -> Any:
    v = doc.get(field)
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    return v


def brute(node: Any, doc: dict[str, Any]) -> bool:
    if node is None:
        return True
    if isinstance(node, And):
        return all(brute(n, doc) for n in node.items)
    if isinstance(node, Or):
        return any(brute(n, doc) for n in node.items)
    if isinstance(node, Not):
        return not brute(node.item, doc)
    c: Compare = node
    v = _value(doc, c.field)
    if v is None:
        return False
    args = [_plain(c.field, a) for a in c.values]
    if _ALL[c.field] == "text":
        return set(words(args[0])) <= set(words(v))
    return {
        "=": lambda: v == args[0],
        "!=": lambda: v != args[0],
        "<": lambda: v < args[0],
        "<=": lambda: v <= args[0],
        ">": lambda: v > args[0],
        ">=": lambda: v >= args[0],
        "in": lambda: v in args,
        "between": lambda: args[0] <= v <= args[1],
        "starts_with": lambda: v.startswith(args[0]),
    }[c.op]()


def brute_order(query: str, model: dict[str, dict[str, Any]]) -> list[str]:
    parsed = parse(query)
    found = [doc for doc in model.values() if brute(parsed.where, doc)]
    found.sort(key=lambda d: d["RunId"])
    for o in reversed(parsed.order or ()):
        have = [d for d in found if _value(d, o.field) is not None]
        have.sort(key=lambda d: _value(d, o.field), reverse=o.descending)
        found = have + [d for d in found if _value(d, o.field) is None]
    if not parsed.order:
        found.sort(key=lambda d: -d["StartTime"])
    return [d["RunId"] for d in found]


def _leaf(rng: random.Random) -> str:
    field = rng.choice(["customer", "customer", "amount", "priority", "vip", "due", "note", "WorkflowType"])
    field = rng.choice([field, "ExecutionStatus", "StartTime", "CloseTime", "WorkflowId"])
    if field in ("customer", "WorkflowId"):
        value = lambda: f"'c-{rng.randrange(40)}'" if field == "customer" else f"'w-{rng.randrange(3000)}'"  # noqa: E731
        op = rng.choice(["=", "!=", "in", "starts", ">"])
        if op == "in":
            return f"{field} IN ({value()}, {value()}, {value()})"
        if op == "starts":
            return f"{field} STARTS_WITH '{'c-1' if field == 'customer' else 'w-12'}'"
        return f"{field} {op} {value()}"
    if field == "WorkflowType":
        return f"WorkflowType {rng.choice(['=', '!='])} '{rng.choice(NAMES)}'"
    if field == "ExecutionStatus":
        return f"ExecutionStatus IN ('{rng.choice(['Running', 'Completed'])}', 'Failed')"
    if field == "amount":
        a, b = sorted(round(rng.uniform(0, 1000), 2) for _ in range(2))
        return rng.choice([f"amount BETWEEN {a} AND {b}", f"amount >= {a}", f"amount < {b}"])
    if field == "priority":
        return rng.choice([f"priority = {rng.randint(1, 5)}", f"priority <= {rng.randint(1, 5)}", "priority IN (1, 5)"])
    if field == "vip":
        return f"vip = {rng.choice(['true', 'false'])}"
    if field == "note":
        return f"note = '{' '.join(rng.sample(VOCAB, rng.randint(1, 2)))}'"
    day = datetime.date(2026, 11, 1) + datetime.timedelta(days=rng.randrange(60))
    return f"{field} {rng.choice(['>', '<=', '>='])} '{day.isoformat()}'"


def random_query(rng: random.Random) -> str:
    parts = [_leaf(rng) for _ in range(rng.randint(1, 3))]
    if len(parts) == 3 and rng.random() < 0.5:
        where = f"{parts[0]} AND ({parts[1]} OR {parts[2]})"
    else:
        where = f" {rng.choice(['AND', 'OR'])} ".join(parts)
    if rng.random() < 0.2:
        where = f"{_leaf(rng)} AND NOT ({where})"
    order = rng.choice(["", " ORDER BY StartTime DESC", " ORDER BY priority, amount DESC", " ORDER BY customer"])
    return where + order


@pytest.fixture(scope="module")
def population() -> tuple[list[list[pb.HistoryEvent]], dict[str, dict[str, Any]]]:
    return _population(14)


class SearchContract:
    async def _check(self, store: Any, model: dict[str, dict[str, Any]]) -> None:
        rng = random.Random(7)
        nonempty = 0
        for _ in range(QUERIES):
            query = random_query(rng)
            plan = compile_query(query, TYPES)
            expected = brute_order(query, model)
            assert await store.count_runs(plan) == len(expected), query
            got = [r.run_id for r in await store.search_runs(plan, 50, 0)]
            assert got == expected[:50], query
            nonempty += bool(expected)
        assert nonempty >= QUERIES // 2, "the random queries should mostly match something"
        plan = compile_query("customer = 'c-3' ORDER BY StartTime DESC", TYPES)
        expected = brute_order("customer = 'c-3' ORDER BY StartTime DESC", model)
        pages = [r.run_id for offset in range(0, 120, 40) for r in await store.search_runs(plan, 40, offset)]
        assert pages == expected[:120]
        first = (await store.search_runs(plan, 1, 0))[0]
        assert dict(first.search_attributes)["customer"].keyword == "c-3"


class TestSqliteSearch(SearchContract):
    @pytest.fixture
    async def store(self, tmp_path: pathlib.Path) -> AsyncIterator[Any]:
        from goblins.server.embedded.sqlite import SqliteStore

        s = SqliteStore(f"{tmp_path}/search.db?synchronous=normal")
        try:
            yield s
        finally:
            await s.close()

    async def test_queries_match_a_brute_force_filter(self, store: Any, population: Any) -> None:
        batches, model = population
        for events in batches:
            store.commit_sync(Batch(events=events))
        await self._check(store, model)

    def test_a_typical_query_walks_the_indexes(self, store: Any) -> None:
        query = "WorkflowType = 'order' AND customer = 'c-17' AND StartTime > '2026-12-01' ORDER BY StartTime DESC"
        sql, args = sqlite_search.select(compile_query(query, TYPES), 100, 0)
        plan = [row[3] for row in store._writer.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
        print("\n".join(plan))
        assert any("search_by_value" in step for step in plan), plan  # the attribute: its index
        assert any(("runs_by_name" in step or "runs_1" in step) for step in plan), plan  # runs by key or name
        assert not any(step.startswith("SCAN r") and "INDEX" not in step for step in plan), plan


@needs_cassandra
class TestCassandraSearch(SearchContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[Any]:
        """A keyspace of its own: the other contract tests' runs would match its queries too."""
        from goblins.server.distributed.cassandra import CassandraStore
        from goblins.server.distributed.setup import setup_cassandra

        keyspace = f"goblins_search_{uuid.uuid4().hex[:8]}"
        url = f"{CASSANDRA.rsplit('/', 1)[0]}/{keyspace}"
        setup_cassandra(url)
        s = CassandraStore(url)
        try:
            yield s
        finally:
            s.session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120)
            await s.close()

    async def test_queries_match_a_brute_force_filter(self, store: Any, population: Any) -> None:
        batches, model = population
        began = time.monotonic()
        for events in batches:
            await store.commit(Batch(events=events))
        print(f"committed {RUNS} runs in {time.monotonic() - began:.1f}s")
        await self._check(store, model)
