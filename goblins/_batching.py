"""A coalescing outbox: whatever is put between two wake-ups leaves as one batch.

A stream that sends one message per item pays a gRPC write (and a wake-up of the other
side) per item; under load the items of one event-loop turn go out together instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Outbox(Generic[T]):
    """Items put from the event loop, taken by one consumer as lists."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._wake = asyncio.Event()
        self.closed = False

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wake.set()

    def close(self) -> None:
        """The consumer's iteration ends once what is queued has been taken."""
        self.closed = True
        self._wake.set()

    async def batches(self) -> AsyncIterator[list[T]]:
        while True:
            while not self._items:
                if self.closed:
                    return
                self._wake.clear()
                await self._wake.wait()
            items, self._items = self._items, []
            yield items
