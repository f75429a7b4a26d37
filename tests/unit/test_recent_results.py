"""The recent-results cache is bounded in bytes as well as entries (issue 10 item 10)."""

from __future__ import annotations

from goblins.api import v1 as pb
from goblins.server.recent import RecentResults
from goblins.wire import history_event


def finished(run_id: str, size: int) -> pb.HistoryEvent:
    return history_event("WORKFLOW_FINISHED_IN_SUCCESS", run_id=run_id, seq=5, output=b"x" * size)


def test_the_oldest_results_go_once_the_bytes_are_over_budget() -> None:
    cache = RecentResults(max_bytes=35_000_000)
    for i in range(30):
        cache.add(finished(f"r{i}", 10_000_000))
    assert len(cache) == 3 and cache.bytes <= 35_000_000
    assert cache.get("r29") is not None and cache.get("r0") is None


def test_a_result_bigger_than_the_budget_is_not_kept_and_small_ones_stay_bounded_in_number() -> None:
    cache = RecentResults(max_bytes=1000, max_entries=4)
    cache.add(finished("big", 5000))
    assert cache.get("big") is None and cache.bytes == 0
    for i in range(10):
        cache.add(finished(f"r{i}", 1))
    assert len(cache) == 4 and cache.get("r9") is not None


def test_replacing_an_entry_keeps_the_accounting_exact() -> None:
    cache = RecentResults(max_bytes=10_000)
    cache.add(finished("r", 100))
    cache.add(finished("r", 100))
    assert len(cache) == 1 and cache.bytes == finished("r", 100).ByteSize() + 200
