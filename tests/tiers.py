"""Tiers of the suite, announced as they start and timed: `make test` prints one line when a
tier begins and a table of tiers with their durations and outcomes at the end (with `-q`, the
dots alone say nothing for twenty minutes). Tests run tier by tier, fastest tiers first."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

ORDER = ("unit", "histories", "contract", "integration", "distributed", "e2e", "bench")
WHAT = {
    "unit": "pure functions, no I/O",
    "histories": "recorded histories replayed by today's code",
    "contract": "one suite per port, run against every backend",
    "integration": "real gRPC on loopback, real SQLite",
    "distributed": "real Kafka and Cassandra",
    "e2e": "separate processes, kill -9, restarts",
    "bench": "the benchmark and chaos harness, smoke-sized",
}


def tier_of(item: pytest.Item) -> str:
    parts = item.nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else "other"


def in_tier_order(items: list[pytest.Item]) -> None:
    """Stable: modules stay whole and in their order within a tier."""
    rank = {tier: i for i, tier in enumerate(ORDER)}
    items.sort(key=lambda item: rank.get(tier_of(item), len(ORDER)))


@dataclass
class Tier:
    name: str
    tests: int
    started: float = 0.0
    ended: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)


class Tiers:
    """The pytest plugin: registered by tests/conftest.py."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.tiers: dict[str, Tier] = {}
        self.current: Tier | None = None

    def _write(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line, bold=True)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        counts = Counter(tier_of(item) for item in items)
        self.tiers = {name: Tier(name, counts[name]) for name in sorted(counts, key=lambda t: (*ORDER, t).index(t))}

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        parts = nodeid.split("/")
        name = parts[1] if len(parts) > 2 and parts[0] == "tests" else "other"
        tier = self.tiers.get(name)
        if tier is None or tier is self.current:
            return
        now = time.monotonic()
        if self.current is not None:
            self.current.ended = now
            self._write(f"== tier {self.current.name} done in {self.current.ended - self.current.started:.0f}s")
        tier.started = now
        self.current = tier
        self._write(f"== tier {tier.name}: {tier.tests} tests ({WHAT.get(tier.name, '')})")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        tier = self.current
        if tier is None:
            return
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            tier.outcomes[report.outcome] += 1
        elif report.when == "teardown" and report.outcome == "failed":
            tier.outcomes["error"] += 1

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.current is not None and not self.current.ended:
            self.current.ended = time.monotonic()
        ran = [t for t in self.tiers.values() if t.started]
        if not ran:
            return
        terminalreporter.section("tiers")
        for t in ran:
            outcomes = ", ".join(f"{n} {k}" for k, n in sorted(t.outcomes.items()))
            terminalreporter.write_line(f"{t.name:<12} {t.ended - t.started:7.1f}s  {t.tests:4d} tests  {outcomes}")
