"""The pure scheduling core of task queues (goblins.server.flow): a token bucket on an injected
clock, priorities, FIFO within a priority, and the limits of a Gate."""

from __future__ import annotations

import pytest

from goblins._queues import check_priority, check_queue
from goblins.server.flow import Gate, Limits, TokenBucket

KEY = ("activity", "act")


def alive(task_id: str, item: str) -> bool:
    return True


def drain(gate: Gate[str], now: float = 0.0, keys: list[object] | None = None) -> list[str]:
    out = []
    while (got := gate.take(keys or [KEY], now, alive)) is not None:
        out.append(got[1])
    return out


def test_a_token_bucket_holds_its_rate_on_an_injected_clock() -> None:
    bucket = TokenBucket(10.0, now=0.0)
    assert bucket.take(0.0)  # the first at once
    assert not bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(0.1)
    assert not bucket.take(0.05)
    assert bucket.take(0.1)
    # Over 10 seconds of clock ticking every 10 ms: 10/s, with no burst beyond one token.
    taken = sum(bucket.take(0.1 + i * 0.01) for i in range(1, 1001))
    assert taken == 100


def test_a_bucket_saves_at_most_its_capacity() -> None:
    bucket = TokenBucket(100.0, now=0.0)  # capacity: 0.1 s of tokens = 10
    assert sum(bucket.take(60.0) for _ in range(50)) == 10


def test_higher_priority_first_and_fifo_within_a_priority() -> None:
    gate: Gate[str] = Gate("q", Limits(), 0.0)
    for i, priority in enumerate([3, 1, 5, 3, 0, 5, 1]):  # 0: the default, 3
        gate.push(KEY, f"t{i}", f"t{i}:p{priority}", priority, "", True)
    assert drain(gate) == ["t2:p5", "t5:p5", "t0:p3", "t3:p3", "t4:p0", "t1:p1", "t6:p1"]


def test_a_task_handed_back_goes_before_its_peers() -> None:
    gate: Gate[str] = Gate("q", Limits(), 0.0)
    gate.push(KEY, "a", "a", 3, "", True)
    gate.push(KEY, "b", "b", 3, "", True, front=True)
    assert drain(gate) == ["b", "a"]


def test_max_concurrent_holds_until_a_permit_is_released() -> None:
    gate: Gate[str] = Gate("gpu", Limits(max_concurrent=2), 0.0)
    for i in range(5):
        gate.push(KEY, f"t{i}", f"t{i}", 0, "", True)
    assert drain(gate) == ["t0", "t1"]
    assert gate.blocked(0.0) == "queue gpu at max_concurrent 2"
    assert gate.release("t0") and not gate.release("t0")
    assert drain(gate) == ["t2"]
    assert len(gate.in_flight) == 2


def test_the_rate_lets_one_task_through_per_token() -> None:
    gate: Gate[str] = Gate("q", Limits(rate_per_second=2.0), 0.0)
    for i in range(4):
        gate.push(KEY, f"t{i}", f"t{i}", 0, "", True)
    assert drain(gate, 0.0) == ["t0"]
    assert gate.blocked(0.2) == "queue q at rate 2/s"
    assert drain(gate, 0.5) == ["t1"]
    assert drain(gate, 1.0) == ["t2"]


def test_a_concurrency_key_at_its_limit_lets_other_keys_pass() -> None:
    gate: Gate[str] = Gate("q", Limits(max_per_key=1), 0.0)
    for i, key in enumerate(["c1", "c1", "c2", "c1", "c2"]):
        gate.push(KEY, f"t{i}", f"t{i}:{key}", 0, key, True)
    assert drain(gate) == ["t0:c1", "t2:c2"]
    gate.release("t0")
    assert drain(gate) == ["t1:c1"]
    gate.release("t2")
    assert drain(gate) == ["t4:c2"]
    assert gate.waiting == 1  # t3 waits for c1


def test_unlimited_tasks_are_ordered_but_take_no_permit() -> None:
    gate: Gate[str] = Gate("q", Limits(max_concurrent=1), 0.0)
    gate.push(KEY, "a", "a", 0, "", True)
    gate.push(("workflow", "wf"), "w", "w", 0, "", False)
    assert drain(gate, keys=[KEY, ("workflow", "wf")]) == ["a", "w"]
    assert list(gate.in_flight) == ["a"]


def test_the_best_task_among_the_names_a_worker_hosts() -> None:
    gate: Gate[str] = Gate("q", Limits(), 0.0)
    gate.push(("activity", "a"), "1", "a1", 2, "", True)
    gate.push(("activity", "b"), "2", "b2", 4, "", True)
    assert drain(gate, keys=[("activity", "a")]) == ["a1"]  # a worker hosting only a
    gate.push(("activity", "a"), "3", "a3", 5, "", True)
    assert drain(gate, keys=[("activity", "a"), ("activity", "b")]) == ["a3", "b2"]


def test_names_and_priorities_are_checked() -> None:
    assert check_queue("gpu") == "gpu" and check_queue("default") == ""
    for bad in ("", "a b", "x" * 101, "a-b"):
        with pytest.raises(ValueError):
            check_queue(bad)
    assert check_priority(None) == 0 and check_priority(5) == 5
    for bad_priority in (0, 6, True, 2.5):
        with pytest.raises(ValueError):
            check_priority(bad_priority)  # type: ignore[arg-type]
