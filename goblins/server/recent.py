"""The recent-results cache: finishing events the server has just recorded, bounded in bytes.

GetResult asks memory before the store; a count bound alone let 30 runs with 10 MB outputs
grow the server by 300 MB (issue 10 item 10). Each entry is charged its serialized size plus
a fixed overhead, and the oldest entries go first once the total is over the budget.
"""

from __future__ import annotations

from goblins.api import v1 as pb

RECENT_RESULTS = 4096  # entries at most, whatever their size
RECENT_BYTES = 64 * 1024 * 1024  # serialized bytes at most (the default; the server's option)
ENTRY_OVERHEAD = 200  # the dict slot, the key and the message object, roughly


class RecentResults:
    """run_id -> finishing event, newest last, within ``max_entries`` and ``max_bytes``."""

    def __init__(self, max_bytes: int = RECENT_BYTES, max_entries: int = RECENT_RESULTS) -> None:
        if max_bytes < 0:
            raise ValueError(f"the results cache needs max_bytes >= 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._events: dict[str, tuple[pb.HistoryEvent, int]] = {}

    def __len__(self) -> int:
        return len(self._events)

    def get(self, run_id: str) -> pb.HistoryEvent | None:
        entry = self._events.get(run_id)
        return entry[0] if entry is not None else None

    def add(self, event: pb.HistoryEvent) -> None:
        size = event.ByteSize() + ENTRY_OVERHEAD
        if size > self.max_bytes:  # bigger than the whole budget: the store answers for it
            self._drop(event.run_id)
            return
        self._drop(event.run_id)
        events = self._events
        events[event.run_id] = (event, size)
        self.bytes += size
        while self.bytes > self.max_bytes or len(events) > self.max_entries:
            self._drop(next(iter(events)))

    def _drop(self, run_id: str) -> None:
        entry = self._events.pop(run_id, None)
        if entry is not None:
            self.bytes -= entry[1]
