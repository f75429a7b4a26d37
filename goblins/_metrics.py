"""What the server's and the worker's metrics share: counters and histograms cheap enough for
the hot paths, bounded label values, and the ``/metrics`` HTTP endpoint (Prometheus' text
format).

Each server or worker object keeps its own ``CollectorRegistry`` (two in one process, as in the
tests, do not collide). Nothing here is imported on a hot path when metrics are off: the
objects that count are created only when a metrics port is given.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger("goblins.metrics")

MAX_LABEL_VALUES = 1000
"""Distinct values one label (an activity's or a workflow's name) takes before the rest are
counted under ``OTHER``: names come from registration and are few, but a worker cannot stop a
client from starting runs of a thousand made-up workflow names."""
OTHER = "other"

DEFAULT_HOST = "127.0.0.1"


class BoundedLabels:
    """A label's values, capped at ``limit`` distinct ones (the rest fold into ``"other"``);
    caches the labelled children so that a hot path pays one dict lookup per observation."""

    def __init__(self, metric: Any, limit: int = MAX_LABEL_VALUES) -> None:
        self._metric = metric
        self._limit = limit
        self._children: dict[tuple[str, ...], Any] = {}
        self._seen: set[str] = set()  # values of the first label, the capped one

    def __call__(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            child = self._child(values)
        return child

    def _child(self, values: tuple[str, ...]) -> Any:
        first = values[0]
        if first not in self._seen:
            if len(self._seen) >= self._limit:
                folded = (OTHER, *values[1:])
                child = self._children.get(folded) or self._metric.labels(*folded)
                self._children[folded] = child
                return child  # not cached under ``values``: the cache stays bounded too
            self._seen.add(first)
        child = self._metric.labels(*values)
        self._children[values] = child
        return child


class Cell:
    """One counter's value. Written by one thread only (the event loop's): ``cell.value += n``
    takes no lock, unlike prometheus_client's counters (a lock and checks per ``inc``)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, n: float = 1.0) -> None:
        self.value += n


class Buckets:
    """One histogram's buckets, written by one thread only (the event loop's): an observation
    is a bisect and two additions, where prometheus_client's ``observe`` takes locks and walks
    the bounds in Python (measured ~5x dearer). A scrape reads the counts as they are: it may
    see an observation's bucket before its sum, which the next scrape agrees on."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last: above every bound (+Inf)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value


class _Family(Collector):
    """Children by label values, collected as one metric family (``labels`` as in prometheus_client)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._children: dict[tuple[str, ...], Any] = {}

    def _new(self) -> Any:
        raise NotImplementedError

    def labels(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name}: labels {self.labelnames}, got {values}")
            child = self._children[values] = self._new()
        return child

    def _items(self) -> list[tuple[tuple[str, ...], Any]]:
        return list(self._children.items())  # a copy: the event loop's thread may add a child


class Counters(_Family):
    """A counter family; ``labels(...)`` is a :class:`Cell` (``.value += 1``)."""

    def _new(self) -> Cell:
        return Cell()

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, cell in self._items():
            family.add_metric(list(values), cell.value)
        yield family


class Histograms(_Family):
    """A histogram family; ``labels(...)`` is a :class:`Buckets` (``.observe(x)``)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], bounds: Sequence[float]) -> None:
        super().__init__(name, documentation, labelnames)
        self.bounds = tuple(bounds)

    def _new(self) -> Buckets:
        return Buckets(self.bounds)

    def collect(self) -> Iterable[Metric]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, b in self._items():
            counts, total, cumulative = list(b.counts), b.sum, 0
            buckets = []
            for bound, n in zip([*map(_le, b.bounds), "+Inf"], counts, strict=True):
                cumulative += n
                buckets.append((bound, cumulative))
            family.add_metric(list(values), buckets, total)
        yield family


def _le(bound: float) -> str:
    return repr(float(bound))


class Sampled(Collector):
    """A gauge whose values are read when scraped (no cost between scrapes): ``sample()``
    returns {label value: number}, or {"": number} for a gauge without labels."""

    def __init__(self, name: str, documentation: str, label: str | None, sample: Callable[[], dict[str, float]]):
        self._name, self._doc, self._label, self._sample = name, documentation, label, sample

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            values = self._sample()
        except Exception:  # a scrape racing a mutation of the sampled state: skip this gauge once
            log.debug("metric %s not sampled", self._name, exc_info=True)
            values = {}
        if self._label is None:
            yield GaugeMetricFamily(self._name, self._doc, value=values.get("", 0.0))
            return
        family = GaugeMetricFamily(self._name, self._doc, labels=[self._label])
        for value, number in sorted(values.items()):
            family.add_metric([value], number)
        yield family


class Endpoint:
    """``/metrics`` served over HTTP on a thread of its own (the event loop is not involved)."""

    def __init__(self, registry: CollectorRegistry, port: int, host: str | None = None) -> None:
        self.host = host or DEFAULT_HOST
        self._httpd, self._thread = start_http_server(port, self.host, registry)
        self.port: int = self._httpd.server_address[1]
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
