"""Distributed-only fixtures: goblins servers on real Kafka and Cassandra (scripts/services).

Stories that hold in both modes live in tests/e2e (marked ``both_modes``); the ones here
are about the distributed mode itself (several servers, partitions, broker and database
restarts, Kafka leases). Whether they run is decided in tests/conftest.py. Each test gets
its own keyspace and Kafka namespace.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from distributed_support import DistributedCluster

from tests.conftest import CASSANDRA, KAFKA, run_failed


@pytest.fixture
def dcluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[DistributedCluster]:
    c = DistributedCluster(tmp_path, KAFKA, CASSANDRA)
    try:
        yield c
    finally:
        c.teardown(dump=run_failed(request))
