"""End-to-end fixtures: a cluster of real processes, torn down (SIGKILL) whatever happens.

A story that holds in both deployment modes is written once and marked ``both_modes``: its
``cluster`` is then an embedded cluster (one server on SQLite) and a distributed one (servers
on Kafka and Cassandra; skipped, with the reason, unless tests/conftest.py finds the
services). The cluster carries the mode's patience (``cluster.patience``, ``cluster.recovery``)
so the story states no timeout of its own. Unmarked tests get the embedded cluster only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed_support import DistributedCluster
from e2e_support import Cluster

from tests.conftest import CASSANDRA, KAFKA, run_failed

# Measurements (wall times, observed delays) printed at the end of the session.
MEASUREMENTS: list[str] = []

MODES = [
    pytest.param("embedded", id="embedded"),
    pytest.param("distributed", id="distributed", marks=pytest.mark.distributed),
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cluster" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_modes"):
        metafunc.parametrize("cluster", MODES, indirect=True)


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    mode = getattr(request, "param", "embedded")
    c = DistributedCluster(tmp_path, KAFKA, CASSANDRA) if mode == "distributed" else Cluster(tmp_path)
    try:
        yield c
    finally:
        c.teardown(dump=run_failed(request))


@pytest.fixture
def measure() -> Callable[[str], None]:
    """Record a measurement: printed now and in the terminal summary."""

    def record(line: str) -> None:
        print(line)
        MEASUREMENTS.append(line)

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MEASUREMENTS:
        terminalreporter.section("goblins e2e measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)
