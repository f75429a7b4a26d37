"""History pages: the bounds of one page and its token.

A history of many big results (80 results of 900 KB make 70 MB) must never travel in one
message: gRPC refuses messages over its limit and Kafka's default is 1 MB. Clients and
workers read it in pages, each bounded in events and in bytes; a workflow task carries its
first page and a token for the rest.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

PAGE_EVENTS = 1_000
"""Events in one GetHistory page when the request asks for none (page_size 0)."""
MAX_PAGE_EVENTS = 10_000
"""Events in one GetHistory page at most: a bigger page_size is cut to this."""
PAGE_BYTES = 4 * 1024 * 1024
"""Bytes of events in one page (a GetHistory answer, or a workflow task's own events), past
its first event: a page always holds at least one event, however big."""

_PREFIX = b"h1:"


def page_token(run_id: str, after_seq: int) -> bytes:
    """The token of the page that starts after ``after_seq`` (opaque to callers)."""
    return b"%s%d:%s" % (_PREFIX, after_seq, run_id.encode())


def parse_token(token: bytes, run_id: str) -> int | None:
    """The seq a page token of ``run_id`` starts after; None: not a token of this run."""
    if token.startswith(_PREFIX):
        seq, sep, of_run = token[len(_PREFIX) :].partition(b":")
        if sep and seq.isdigit() and of_run == run_id.encode():
            return int(seq)
    return None


def run_of_token(token: bytes) -> str:
    """The run a page token is of ("" when it is no token)."""
    if token.startswith(_PREFIX):
        return token[len(_PREFIX) :].partition(b":")[2].decode(errors="replace")
    return ""


def page_events(page_size: int) -> int:
    """Events in one page for a requested ``page_size`` >= 0 (0: the default)."""
    return min(page_size or PAGE_EVENTS, MAX_PAGE_EVENTS)


def cut(sizes: Sequence[int], max_bytes: int) -> int:
    """How many of these sizes, from the first, fit ``max_bytes`` (at least one, if any)."""
    total = 0
    for n, size in enumerate(sizes):
        total += size
        if total > max_bytes:
            return max(n, 1)
    return len(sizes)


def fit(through: Sequence[int], start: int, end: int, max_bytes: int) -> int:
    """The end (exclusive) of the longest run of items ``start:end`` whose bytes fit ``max_bytes``
    (maybe none); ``through[i]`` is the bytes of items ``0:i`` (so ``through[0] == 0``)."""
    if through[end] - through[start] <= max_bytes:
        return end
    return bisect.bisect_right(through, through[start] + max_bytes, start, end + 1) - 1


_LIST_PREFIX = b"l1:"


def list_token(created_at: float, run_id: str) -> bytes:
    """The token of the list page after the run ``run_id`` created at ``created_at``."""
    return b"%s%s:%s" % (_LIST_PREFIX, repr(created_at).encode(), run_id.encode())


def parse_list_token(token: bytes) -> tuple[float, str] | None:
    """(created_at, run_id) a list page token starts after; None: not such a token."""
    if not token.startswith(_LIST_PREFIX):
        return None
    when, sep, run_id = token[len(_LIST_PREFIX) :].partition(b":")
    try:
        return (float(when), run_id.decode()) if sep and run_id else None
    except (ValueError, UnicodeDecodeError):
        return None
