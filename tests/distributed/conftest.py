"""Distributed-mode fixtures: goblins servers on real Kafka and Cassandra (scripts/services).

GOBLINS_TEST_KAFKA and GOBLINS_TEST_CASSANDRA (HOST:PORT; `scripts/test` sets both) turn these
tests on. Without them the tests are skipped with that reason in the summary; with them, an
unreachable service fails the tests. Each test gets its own keyspace and Kafka namespace.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from distributed_support import DistributedCluster

KAFKA = os.environ.get("GOBLINS_TEST_KAFKA", "")
CASSANDRA = os.environ.get("GOBLINS_TEST_CASSANDRA", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if KAFKA and CASSANDRA:
        return
    skip = pytest.mark.skip(reason="distributed mode not requested: set GOBLINS_TEST_KAFKA and GOBLINS_TEST_CASSANDRA")
    for item in items:
        if "tests/distributed" in str(item.fspath):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"distributed_report_{report.when}", report)
    return report


@pytest.fixture
def dcluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[DistributedCluster]:
    c = DistributedCluster(tmp_path, KAFKA, CASSANDRA)
    try:
        yield c
    finally:
        call = getattr(request.node, "distributed_report_call", None)
        c.teardown(dump=call is None or call.failed)
