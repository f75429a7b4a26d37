"""End-to-end fixtures: a cluster of real processes, torn down (SIGKILL) whatever happens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Cluster

# Measurements (wall times, observed delays) printed at the end of the session.
MEASUREMENTS: list[str] = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        call = getattr(request.node, "e2e_report_call", None)
        setup = getattr(request.node, "e2e_report_setup", None)
        failed = (call is None or call.failed) or (setup is not None and setup.failed)
        c.teardown(dump=failed)


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
