"""Flow control of task queues, pure: a token bucket, a queue's limits, and the gate that hands
out its waiting tasks by priority within them.

No clock, no I/O: the caller passes ``now``. The embedded dispatcher holds one ``Gate`` per task
queue that has limits or prioritised tasks; the distributed transport holds one per queue in
the owner server and takes a shared permit before it produces a task (``server/distributed/
permits.py``).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Callable, Collection, Hashable
from typing import Any, Generic, TypeVar

from goblins._queues import DEFAULT_PRIORITY, DEFAULT_QUEUE, PRIORITIES, check_priority, check_queue, queue_name

__all__ = [
    "DEFAULT_PRIORITY",
    "DEFAULT_QUEUE",
    "PRIORITIES",
    "Gate",
    "Limits",
    "TokenBucket",
    "check_priority",
    "check_queue",
    "limits_of",
    "queue_name",
]

_ONE = 1.0 - 1e-9  # a whole token, give or take the float error of summed refills
BURST_SECONDS = 0.1  # a bucket holds this many seconds of tokens (at least one): smooth, not bursty

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Limits:
    """A queue's limits; 0 means no limit."""

    max_concurrent: int = 0
    rate_per_second: float = 0.0
    max_per_key: int = 0

    def __bool__(self) -> bool:
        return bool(self.max_concurrent or self.rate_per_second or self.max_per_key)

    def describe(self) -> str:
        parts = [
            f"max_concurrent {self.max_concurrent}" if self.max_concurrent else "",
            f"rate {self.rate_per_second:g}/s" if self.rate_per_second else "",
            f"max_per_key {self.max_per_key}" if self.max_per_key else "",
        ]
        return ", ".join(p for p in parts if p) or "no limits"


def limits_of(config: Any) -> Limits:
    """The limits of a ``TaskQueueConfig`` message."""
    return Limits(config.max_concurrent, config.rate_per_second, config.max_per_key)


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up (default: BURST_SECONDS' worth)."""

    def __init__(self, rate: float, now: float, capacity: float = 0.0) -> None:
        self.rate = rate
        self.capacity = capacity or max(1.0, rate * BURST_SECONDS)
        self.tokens = 1.0  # the first task goes at once, then the rate holds
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def ready(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= _ONE

    def take(self, now: float) -> bool:
        """Take a token if one is there."""
        if not self.ready(now):
            return False
        self.tokens -= 1.0
        return True

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: now)."""
        self._refill(now)
        return 0.0 if self.tokens >= _ONE else (1.0 - self.tokens) / self.rate


@dataclasses.dataclass(order=True)
class _Entry(Generic[T]):
    rank: int  # -priority: the highest first
    seq: int  # FIFO within a priority (a task handed back gets a seq before every other)
    task_id: str = dataclasses.field(compare=False)
    item: T = dataclasses.field(compare=False)
    ckey: str = dataclasses.field(compare=False)
    limited: bool = dataclasses.field(compare=False)


class Gate(Generic[T]):
    """One task queue: its waiting tasks in a heap per name (priority, then FIFO), and the
    permits of its tasks in flight, by limit.

    ``limited`` tasks (activities) take a permit; the others (workflow tasks: the engine's own
    short CPU work) are only ordered by priority. ``take`` answers the best waiting task among
    the names a worker hosts that the limits admit now.
    """

    def __init__(self, name: str, limits: Limits, now: float) -> None:
        self.name = name
        self.limits = limits
        self.bucket = TokenBucket(limits.rate_per_second, now) if limits.rate_per_second else None
        self._heaps: dict[Hashable, list[_Entry[T]]] = {}
        self._parked: dict[str, list[tuple[Hashable, _Entry[T]]]] = {}  # ckey -> entries at its limit
        self._seq = itertools.count()
        self._front = itertools.count(-1, -1)
        self.in_flight: dict[str, str] = {}  # task id -> its concurrency key
        self.per_key: dict[str, int] = {}
        self.waiting = 0

    def configure(self, limits: Limits, now: float) -> None:
        self.limits = limits
        if not limits.rate_per_second:
            self.bucket = None
        elif self.bucket is None or self.bucket.rate != limits.rate_per_second:
            self.bucket = TokenBucket(limits.rate_per_second, now)
        for ckey in list(self._parked):  # a raised max_per_key frees parked tasks
            self._unpark(ckey)

    def push(
        self, key: Hashable, task_id: str, item: T, priority: int, ckey: str, limited: bool, front: bool = False
    ) -> None:
        """A task waits; ``front``: handed back (its worker left), it goes before its peers."""
        seq = next(self._front) if front else next(self._seq)
        entry = _Entry(-(priority or DEFAULT_PRIORITY), seq, task_id, item, ckey, limited)
        heapq.heappush(self._heaps.setdefault(key, []), entry)
        self.waiting += 1

    def blocked(self, now: float) -> str:
        """Why a limited task cannot start now ("" when it can), as ``describe`` says it."""
        lim = self.limits
        if lim.max_concurrent and len(self.in_flight) >= lim.max_concurrent:
            return f"queue {self.name} at max_concurrent {lim.max_concurrent}"
        if self.bucket is not None and not self.bucket.ready(now):
            return f"queue {self.name} at rate {lim.rate_per_second:g}/s"
        return ""

    def take(
        self, keys: Collection[Hashable], now: float, alive: Callable[[str, T], bool]
    ) -> tuple[Hashable, T] | None:
        """The best waiting task of these names the limits admit now (its permit taken), or
        None. ``alive(task_id, item)``: False drops a stale entry (done meanwhile)."""
        full = bool(self.blocked(now))
        best: tuple[Hashable, _Entry[T]] | None = None
        for key in keys:
            heap = self._heaps.get(key)
            while heap:
                e = heap[0]
                if not alive(e.task_id, e.item):
                    heapq.heappop(heap)
                    self.waiting -= 1
                    continue
                if e.limited and full:
                    break
                if (
                    e.limited
                    and e.ckey
                    and self.limits.max_per_key
                    and self.per_key.get(e.ckey, 0) >= self.limits.max_per_key
                ):
                    heapq.heappop(heap)  # at its key's limit: parked until a permit of the key frees
                    self._parked.setdefault(e.ckey, []).append((key, e))
                    continue
                if best is None or e < best[1]:
                    best = (key, e)
                break
        if best is None:
            return None
        key, e = best
        heapq.heappop(self._heaps[key])
        self.waiting -= 1
        if e.limited:
            if self.bucket is not None:
                self.bucket.take(now)
            self.in_flight[e.task_id] = e.ckey
            if e.ckey:
                self.per_key[e.ckey] = self.per_key.get(e.ckey, 0) + 1
        return key, e.item

    def hold(self, task_id: str, ckey: str) -> None:
        """A task already running holds a permit (a worker reclaimed it after a restart), even
        past the limit: the queue is over it until enough of its tasks end."""
        if task_id not in self.in_flight:
            self.in_flight[task_id] = ckey
            if ckey:
                self.per_key[ckey] = self.per_key.get(ckey, 0) + 1

    def release(self, task_id: str) -> bool:
        """The task is done, timed out or handed back: its permits free (False: it held none)."""
        ckey = self.in_flight.pop(task_id, None)
        if ckey is None:
            return False
        if ckey:
            left = self.per_key.get(ckey, 1) - 1
            if left > 0:
                self.per_key[ckey] = left
            else:
                self.per_key.pop(ckey, None)
            self._unpark(ckey)
        return True

    def _unpark(self, ckey: str) -> None:
        for key, e in self._parked.pop(ckey, []):
            heapq.heappush(self._heaps.setdefault(key, []), e)

    def names(self) -> list[Hashable]:
        """The keys (names) that have had waiting tasks."""
        return list(self._heaps)

    def parked(self) -> int:
        return sum(len(v) for v in self._parked.values())

    def has_waiting(self) -> bool:
        return self.waiting > 0 or bool(self._parked)
