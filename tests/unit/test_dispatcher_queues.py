"""The embedded dispatcher's task queues: a worker takes only its queue's tasks; a queue's
limits gate its activity tasks; permits free when tasks end, time out or come back from a
worker that left (docs/task-queues.md)."""

from __future__ import annotations

from goblins.api import v1 as pb
from goblins.server.effects import ACTIVITY, TaskRecord
from goblins.server.embedded.dispatcher import Dispatcher
from goblins.server.flow import Limits
from goblins.server.session import Session

DATA = pb.ActivityTask(activity_name="act").SerializeToString()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def dispatcher(clock: Clock) -> Dispatcher:
    return Dispatcher(lambda *a: (pb.WorkflowTask(), 0), lambda *a: None, lambda *a: None, lambda *a: None, clock)


def task(i: int, queue: str = "", priority: int = 0, ckey: str = "") -> TaskRecord:
    return TaskRecord(f"t{i}", f"r{i}", ACTIVITY, "act", 0.0, DATA, 30.0, 0.0, queue, priority, ckey)


def worker(d: Dispatcher, queue: str = "", slots: int = 100) -> Session:
    s = Session(f"w-{queue or 'default'}", [], ["act"], task_queue=queue)
    d.connect(s, [])
    d.credit(s, slots, 0)
    return s


def test_a_worker_takes_only_its_queues_tasks() -> None:
    d = dispatcher(Clock())
    default, gpu = worker(d), worker(d, "gpu")
    d.add([task(1, "gpu"), task(2), task(3, "gpu")])
    assert set(gpu.inflight) == {"t1", "t3"} and set(default.inflight) == {"t2"}


def test_max_concurrent_across_workers_and_release_on_done_and_on_leaving() -> None:
    d = dispatcher(Clock())
    d.configure("gpu", Limits(max_concurrent=2))
    a, b = worker(d, "gpu"), worker(d, "gpu")
    d.add([task(i, "gpu") for i in range(5)])
    assert len(a.inflight) + len(b.inflight) == 2
    assert d.waiting("gpu") == "queue gpu at max_concurrent 2"
    d.done([next(iter(a.inflight or b.inflight))])
    assert len(a.inflight) + len(b.inflight) == 2
    holder = a if a.inflight else b
    other = b if holder is a else a
    held = set(holder.inflight)
    d.disconnect(holder)  # its tasks go back, their permits free, the other worker takes them
    assert len(other.inflight) == 2 and held & set(other.inflight)
    assert d.queue_stats()["gpu"] == (2, 2)


def test_configuring_a_queue_gates_the_tasks_already_waiting_and_orders_by_priority() -> None:
    d = dispatcher(Clock())
    d.add([task(1, "gpu", 1), task(2, "gpu", 5), task(3, "gpu", 3)])
    d.configure("gpu", Limits(max_concurrent=1))
    s = worker(d, "gpu")
    assert list(s.inflight) == ["t2"]
    d.done(["t2"])
    assert list(s.inflight) == ["t3"]


def test_the_rate_admits_a_task_per_token_on_the_injected_clock() -> None:
    clock = Clock()
    d = dispatcher(clock)
    d.configure("", Limits(rate_per_second=4))
    s = worker(d)
    d.add([task(i) for i in range(4)])
    assert len(s.inflight) == 1
    clock.now += 0.25
    d.tick()
    assert len(s.inflight) == 2
    clock.now += 0.23
    assert abs(d.rate_wait() - 0.02) < 1e-9  # the ticker sleeps until the next token, not a TICK


def test_a_reclaimed_task_holds_its_permit_after_a_restart() -> None:
    d = dispatcher(Clock())
    d.configure("gpu", Limits(max_concurrent=1))
    d.add([task(1, "gpu"), task(2, "gpu")], not_before=2000.0)  # a restart's grace
    s = Session("w", [], ["act"], task_queue="gpu")
    d.connect(s, ["t1"])  # still running it: leased again, with its permit
    d.credit(s, 10, 0)
    assert list(s.inflight) == ["t1"]
    assert d.queue_stats()["gpu"][0] == 1
