"""Task queue names and priorities: the vocabulary clients, workers and the server share."""

from __future__ import annotations

DEFAULT_QUEUE = "default"
DEFAULT_PRIORITY = 3  # 0 on the wire means "not given": the middle of 1..5
PRIORITIES = range(1, 6)


def queue_name(name: str) -> str:
    """The queue a task runs on ("" on the wire: the default one)."""
    return name or DEFAULT_QUEUE


def check_queue(name: str) -> str:
    """A valid task queue name as the wire has it ("" for the default queue), or ValueError:
    letters, digits, ``_`` and ``.``, at most 100."""
    if not isinstance(name, str) or not name or len(name) > 100:
        raise ValueError(f"a task queue name is 1 to 100 characters, got {name!r}")
    if not all(c.isascii() and (c.isalnum() or c in "_.") for c in name):
        raise ValueError(f"a task queue name has only letters, digits, '_' and '.', got {name!r}")
    return "" if name == DEFAULT_QUEUE else name


def check_priority(priority: int | None) -> int:
    """0 for None (the default), else 1..5 or ValueError."""
    if priority is None:
        return 0
    if isinstance(priority, bool) or not isinstance(priority, int) or priority not in PRIORITIES:
        raise ValueError(f"priority must be an int from 1 (lowest) to 5 (highest), got {priority!r}")
    return priority
