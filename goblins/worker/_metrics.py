"""The worker's Prometheus metrics (docs/metrics.md): its slots in use, read when scraped,
and the time of each activity attempt it runs. Created only when a metrics port is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry

from goblins._metrics import BoundedLabels, Endpoint, Histograms, Sampled
from goblins.worker._source import Registration

ACTIVITY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
KINDS = ("activity", "sync_activity", "workflow")


def slots_used(running: Mapping[str, str]) -> dict[str, float]:
    """Slots in use by kind, as the worker's credit counts them: ``activity`` counts every
    activity (sync ones too), ``sync_activity`` the sync ones alone."""
    counts = dict.fromkeys(KINDS, 0.0)
    for kind in list(running.values()):  # a copy: the event loop's thread changes the mapping
        counts[kind] += 1
    counts["activity"] += counts["sync_activity"]
    return counts


class WorkerMetrics:
    """A worker's metrics, in a registry of their own, served on ``port`` (0: any free one)."""

    def __init__(
        self, reg: Registration, connected: Callable[[], bool], registry: CollectorRegistry | None = None
    ) -> None:
        running = reg.running
        limits = {
            "activity": reg.max_activities if reg.activities else 0,
            "sync_activity": reg.max_sync_activities if reg.sync_activities else 0,
            "workflow": reg.max_workflow_tasks if reg.workflows else 0,
        }
        self.registry = r = registry if registry is not None else CollectorRegistry()
        r.register(
            Sampled(
                "goblins_worker_slots_used",
                "Task slots in use, by kind (activity counts sync activities too).",
                "kind",
                lambda: slots_used(running()),
            )
        )
        r.register(
            Sampled(
                "goblins_worker_slots_max",
                "Task slots, by kind.",
                "kind",
                lambda: {kind: float(n) for kind, n in limits.items()},
            )
        )
        r.register(
            Sampled(
                "goblins_worker_connected",
                "1 while the worker has a session with its server (or its broker), else 0.",
                None,
                lambda: {"": 1.0 if connected() else 0.0},
            )
        )
        seconds = Histograms(
            "goblins_activity_seconds", "Time of one activity attempt on this worker.", ["activity"], ACTIVITY_BUCKETS
        )
        r.register(seconds)
        self._seconds = BoundedLabels(seconds)
        self._endpoint: Endpoint | None = None
        self.port = 0

    def activity(self, name: str, seconds: float) -> None:
        self._seconds(name).observe(seconds)

    def serve(self, port: int, host: str | None = None) -> int:
        self._endpoint = Endpoint(self.registry, port, host)
        self.port = self._endpoint.port
        return self.port

    def close(self) -> None:
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None
