"""How the Cassandra search index was chosen: one partition per attribute clustered by value
(what goblins uses) against storage-attached indexes (SAI, Cassandra 5) on a row per attribute.

    python -m benchmarks.search_sai [--cassandra 127.0.0.1:19042] [--rows 100000]

Writes ``rows`` runs' ``customer`` (keyword, 200 values) and ``amount`` (float) both ways in a
keyspace of its own (dropped at the end), then times an equality (~rows/200 matches) and a 1%
range, 50 times each after 10 warm-up reads: p50 and p95 in ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from typing import Any

from cassandra.cluster import Cluster, Session
from cassandra.concurrent import execute_concurrent_with_args

SCHEMA = [
    "CREATE TABLE kw (name text, value text, run_id text, PRIMARY KEY ((name), value, run_id))",
    "CREATE TABLE num (name text, value double, run_id text, PRIMARY KEY ((name), value, run_id))",
    "CREATE TABLE attrs (run_id text, name text, value text, num double, PRIMARY KEY ((run_id), name))",
    "CREATE INDEX attrs_name ON attrs (name) USING 'sai'",
    "CREATE INDEX attrs_value ON attrs (value) USING 'sai'",
    "CREATE INDEX attrs_num ON attrs (num) USING 'sai'",
]


def _timed(s: Session, statement: Any, args: Any, label: str) -> None:
    lat, n = [], 0
    for i in range(60):
        t = time.perf_counter()
        n = len(list(s.execute(statement, args(i))))
        lat.append((time.perf_counter() - t) * 1000)
    lat = lat[10:]
    p95 = statistics.quantiles(lat, n=20)[18]
    print(f"{label:34} p50 {statistics.median(lat):7.1f} ms  p95 {p95:7.1f} ms  ({n} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cassandra", default="127.0.0.1:19042")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    host, _, port = args.cassandra.rpartition(":")
    cluster = Cluster([host], port=int(port))
    s = cluster.connect()
    s.default_timeout = 60
    print("cassandra", s.execute("SELECT release_version FROM system.local").one()[0])
    ks = f"sai_{uuid.uuid4().hex[:6]}"
    s.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")
    s.set_keyspace(ks)
    try:
        for statement in SCHEMA:
            s.execute(statement)
        rng = random.Random(1)
        rows = [(f"run-{i:07d}", f"c-{rng.randrange(200)}", rng.uniform(0, 1000)) for i in range(args.rows)]
        writes = [
            ("INSERT INTO kw (name, value, run_id) VALUES ('customer', ?, ?)", [(v, r) for r, v, _ in rows]),
            ("INSERT INTO num (name, value, run_id) VALUES ('amount', ?, ?)", [(n, r) for r, _, n in rows]),
            ("INSERT INTO attrs (run_id, name, value) VALUES (?, 'customer', ?)", [(r, v) for r, v, _ in rows]),
            ("INSERT INTO attrs (run_id, name, num) VALUES (?, 'amount', ?)", [(r, n) for r, _, n in rows]),
        ]
        for cql, values in writes:
            t = time.monotonic()
            execute_concurrent_with_args(s, s.prepare(cql), values, concurrency=16)
            print(f"{cql.split('(')[0]:34} {time.monotonic() - t:7.1f} s for {len(values):,} rows")
        time.sleep(5)  # SAI builds its memtable index as rows come; let the last flushes settle
        p = s.prepare
        eq = lambda i: (f"c-{i % 200}",)  # noqa: E731
        rg = lambda i: (i * 10.0, i * 10.0 + 10)  # noqa: E731
        _timed(s, p("SELECT run_id FROM kw WHERE name = 'customer' AND value = ?"), eq, "clustering: keyword =")
        _timed(
            s, p("SELECT run_id FROM attrs WHERE name = 'customer' AND value = ?"), eq, "SAI: keyword = (name, value)"
        )
        _timed(
            s,
            p("SELECT run_id FROM num WHERE name = 'amount' AND value >= ? AND value < ?"),
            rg,
            "clustering: 1% range",
        )
        _timed(s, p("SELECT run_id FROM attrs WHERE num >= ? AND num < ?"), rg, "SAI: 1% range")
    finally:
        s.execute(f"DROP KEYSPACE {ks}", timeout=120)
        cluster.shutdown()


if __name__ == "__main__":
    main()
