"""The Timers contract: ``goblins.server.ports`` Timers requirements 1-3."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import pytest

from goblins.server.effects import TIMER, TaskRecord
from goblins.server.ports import Timers
from goblins.testing_contract._common import FakeClock, eventually, new_id


@dataclasses.dataclass
class TimersHarness:
    """What a Timers adapter needs around it, for ``TimersContract``.

    ``commit`` stores a timer's record as the batch that created it would (its row, where the
    adapter keeps rows); ``fired`` collects the timers the adapter fired, in order.
    """

    timers: Timers
    clock: FakeClock
    commit: Callable[[TaskRecord], Awaitable[None]]
    fired: list[TaskRecord] = dataclasses.field(default_factory=list)
    # A server restart: a new adapter over the same durable records (None: not checked).
    restart: Callable[[], Awaitable[Timers]] | None = None

    async def schedule(self, t: TaskRecord) -> None:
        await self.commit(t)
        await self.timers.schedule([t])

    async def wait_fired(self, task_id: str, wait: float = 5.0) -> bool:
        """Whether the timer fired, waiting up to ``wait`` seconds for it."""
        return await eventually(lambda: any(t.task_id == task_id for t in self.fired), wait)


def timer(run_id: str, due: float, name: str = "t1") -> TaskRecord:
    return TaskRecord(f"{run_id}/{name}", run_id, TIMER, "", due, b"")


class TimersContract:
    """Timers requirements 1-3; the subclass provides a ``harness`` fixture (a TimersHarness).

    Other timers (a shared backend) may fire too: each test looks for its own only.
    """

    async def test_a_timer_fires_when_due_not_before(self, harness: TimersHarness) -> None:
        t = timer(new_id(), harness.clock.now + 60)
        await harness.schedule(t)
        next_due = harness.timers.next_due()
        assert next_due is not None and next_due <= t.visible_at
        harness.timers.fire_due()
        assert not await harness.wait_fired(t.task_id, wait=0.1), "fired before it was due"
        harness.clock.now = t.visible_at + 0.001
        harness.timers.fire_due()
        assert await harness.wait_fired(t.task_id)

    async def test_a_timer_already_due_fires_at_once(self, harness: TimersHarness) -> None:
        t = timer(new_id(), harness.clock.now)
        await harness.schedule(t)
        harness.timers.fire_due()
        assert await harness.wait_fired(t.task_id)

    async def test_next_due_is_the_earliest(self, harness: TimersHarness) -> None:
        now = harness.clock.now
        later, sooner = timer(new_id(), now + 30), timer(new_id(), now + 10)
        await harness.schedule(later)
        await harness.schedule(sooner)
        assert harness.timers.next_due() == now + 10
        harness.clock.now = now + 31
        harness.timers.fire_due()
        assert await harness.wait_fired(sooner.task_id) and await harness.wait_fired(later.task_id)

    async def test_due_timers_fire_in_due_order(self, harness: TimersHarness) -> None:
        run, now = new_id(), harness.clock.now
        timers = [timer(run, now + due, f"t{due}") for due in (30, 10, 20)]
        for t in timers:
            await harness.schedule(t)
        harness.clock.now = now + 31
        harness.timers.fire_due()
        assert await harness.wait_fired(f"{run}/t30")
        mine = [t.task_id for t in harness.fired if t.run_id == run]
        assert mine == [f"{run}/t10", f"{run}/t20", f"{run}/t30"]

    async def test_a_fired_timer_does_not_fire_again_on_a_running_server(self, harness: TimersHarness) -> None:
        t = timer(new_id(), harness.clock.now + 5)
        await harness.schedule(t)
        harness.clock.now += 6
        harness.timers.fire_due()
        assert await harness.wait_fired(t.task_id)
        for _ in range(3):
            harness.clock.now += 10
            harness.timers.fire_due()
        await eventually(lambda: False, 0.3)
        assert [f.task_id for f in harness.fired].count(t.task_id) == 1

    async def test_a_timer_survives_a_restart(self, harness: TimersHarness) -> None:
        if harness.restart is None:
            pytest.skip(f"{type(self).__name__}: the harness cannot restart its adapter")
        t = timer(new_id(), harness.clock.now + 60)
        await harness.schedule(t)
        harness.timers = await harness.restart()  # the first one is gone, its memory with it
        harness.clock.now += 61
        harness.timers.fire_due()
        assert await harness.wait_fired(t.task_id, wait=10.0), "the durable record fires after a restart"
