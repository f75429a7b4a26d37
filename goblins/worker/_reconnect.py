"""How a worker reports a server it cannot reach: once at WARNING, then again at growing
intervals (doubling, up to RECONNECT_LOG_MAX), while it keeps retrying every second or so."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("goblins.worker")

RECONNECT_LOG_FIRST = 10.0  # seconds from the first warning of an outage to the second
RECONNECT_LOG_MAX = 300.0  # the longest interval between two warnings of one outage


def warning_times(first: float = RECONNECT_LOG_FIRST, most: float = RECONNECT_LOG_MAX, count: int = 10) -> list[float]:
    """When, from the start of an outage, its first ``count`` warnings are due."""
    times, at, every = [0.0], 0.0, first
    while len(times) < count:
        at += every
        times.append(at)
        every = min(every * 2, most)
    return times


class Unreachable:
    """The state of one outage: when it began, how many attempts failed, the next warning."""

    def __init__(
        self,
        worker: str,
        first: float | None = None,
        most: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker = worker
        self.first = RECONNECT_LOG_FIRST if first is None else first
        self.most = RECONNECT_LOG_MAX if most is None else most
        self.clock = clock
        self.since: float | None = None  # the outage's start, None while connected
        self.failures = 0
        self._every = self.first
        self._next = 0.0

    def failed(self, address: str, cause: str) -> None:
        """An attempt to reach (or keep) the server failed."""
        now = self.clock()
        self.failures += 1
        if self.since is None:
            self.since, self._every, self._next = now, self.first, now + self.first
            log.warning("worker %s: server %s unavailable (%s); reconnecting", self.worker, address, cause)
            return
        if now < self._next:
            log.debug("worker %s: server %s still unavailable (%s)", self.worker, address, cause)
            return
        self._every = min(self._every * 2, self.most)
        self._next = now + self._every
        log.warning(
            "worker %s: server %s still unavailable after %.0fs (%d attempts; last: %s); next report in %.0fs",
            self.worker,
            address,
            now - self.since,
            self.failures,
            cause,
            self._every,
        )

    def connected(self) -> None:
        """A session is up: the outage, if any, is over."""
        if self.since is not None:
            log.warning(
                "worker %s: connected again after %.1fs (%d failed attempts)",
                self.worker,
                self.clock() - self.since,
                self.failures,
            )
        self.since, self.failures = None, 0
