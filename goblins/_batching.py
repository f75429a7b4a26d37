"""Coalescing outboxes: whatever is put between two wake-ups leaves as one batch.

A stream that sends one message per item pays a gRPC write (and a wake-up of the other
side) per item; under load the items of one event-loop turn go out together instead.
``Outbox`` hands its consumer lists; ``MessageOutbox`` has the items built in place into the
next protobuf message (one of its repeated fields), so nothing is copied on the way out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
M = TypeVar("M")


class _Coalescing:
    """The wake-up both outboxes share: one consumer waits until something is queued."""

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self.closed = False

    def close(self) -> None:
        """The consumer's iteration ends once what is queued has been taken."""
        self.closed = True
        self._wake.set()

    def _pending(self) -> bool:
        raise NotImplementedError

    async def _ready(self) -> bool:
        """Wait until something is queued; False once closed with nothing left."""
        while not self._pending():
            if self.closed:
                return False
            self._wake.clear()
            await self._wake.wait()
        return True


class Outbox(_Coalescing, Generic[T]):
    """Items put from the event loop, taken by one consumer as lists."""

    def __init__(self) -> None:
        super().__init__()
        self._items: list[T] = []

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wake.set()

    def _pending(self) -> bool:
        return bool(self._items)

    async def batches(self) -> AsyncIterator[list[T]]:
        while await self._ready():
            items, self._items = self._items, []
            yield items


class MessageOutbox(_Coalescing, Generic[M]):
    """The next message of a stream, filled in place by producers and taken whole by one consumer."""

    def __init__(self, new: Callable[[], M]) -> None:
        super().__init__()
        self._new = new
        self._msg = new()
        self._queued = False

    def message(self) -> M:
        """The message to add to (it leaves at the consumer's next wake-up)."""
        self._queued = True
        self._wake.set()
        return self._msg

    def _pending(self) -> bool:
        return self._queued

    async def take(self) -> M | None:
        """Everything queued since the last call, as one message; None once closed."""
        if not self._queued and not await self._ready():
            return None
        msg, self._msg, self._queued = self._msg, self._new(), False
        return msg
