"""Workflows and activities of the benchmark scenarios.

Hosted by ``goblins worker benchmarks.workloads`` (cwd = repository root). Activities do no
work, so every figure measures the engine: the server, the store and the worker runtime.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import goblins
from benchmarks import tracing

tracing.configure()  # --tracing: this worker records spans

# ---- activities ----


@goblins.activity
async def noop(x: int) -> int:
    """No work at all."""
    return x


@goblins.activity
async def pause_once(x: int, marker: str) -> int:
    """Scenario 6: the first attempt creates ``marker`` and hangs (the worker gets killed
    meanwhile); any later attempt, on the fresh worker, returns at once like ``noop``."""
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return x
    os.close(fd)
    await asyncio.sleep(3600)
    return x


@goblins.activity
async def slow(x: int) -> int:
    """Memory at rest: an activity that does not finish during the measurement."""
    await asyncio.sleep(3600)
    return x


def _append(log: str, line: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # one write(2): lines never mix
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@goblins.activity
async def chaos_step(log: str, step: int, seed: int) -> dict[str, Any]:
    """Chaos: appends ``S RUN STEP_ID STEP ATTEMPT EXECUTION`` to ``log`` as it starts and
    ``E ... EXECUTION END_TIME`` as it ends (EXECUTION is ``PID:START_TIME``), works a little
    in between (so that kills land mid-attempt too), and returns a value only this run and step
    give, with the execution: the recorded result names the execution that counted."""
    info = goblins.activity.info()
    execution = f"{os.getpid()}:{time.time():.6f}"
    where = f"{info.run_id} {info.step_id} {step} {info.attempt} {execution}"
    _append(log, f"S {where}\n")
    await asyncio.sleep(0.005)
    _append(log, f"E {where} {time.time():.6f}\n")
    return {"value": seed * 1000 + step, "execution": execution}


@goblins.activity
async def payload(size: int) -> str:
    """Scenario B: a big result (``size`` bytes of JSON string)."""
    return "x" * (size - 2)


# ---- workflows ----


@goblins.workflow
async def one_step(x: int) -> int:
    """Scenarios 1 and 2: one no-op activity."""
    return int(await goblins.workflow.execute_activity(noop, x))


@goblins.workflow
async def chain(steps: int) -> int:
    """Scenario 3: ``steps`` sequential no-op activities."""
    total = 0
    for i in range(steps):
        total += await goblins.workflow.execute_activity(noop, i)
    return total


@goblins.workflow
async def fan_out(count: int) -> int:
    """Scenario 4: ``count`` no-op activities in parallel, joined."""
    results = await asyncio.gather(*(goblins.workflow.execute_activity(noop, i) for i in range(count)))
    return sum(results)


@goblins.workflow
async def chain_with_pause(steps: int, pause_at: int, marker: str) -> int:
    """Scenario 6: like ``chain``; step ``pause_at`` (1-based) hangs on its first attempt."""
    total = 0
    for i in range(steps):
        if i + 1 == pause_at:
            total += await goblins.workflow.execute_activity(pause_once, i, marker)
        else:
            total += await goblins.workflow.execute_activity(noop, i)
    return total


@goblins.workflow
async def wait_slow(x: int) -> int:
    """Memory at rest: a run that stays open, waiting on a slow activity."""
    return int(await goblins.workflow.execute_activity(slow, x))


@goblins.workflow
async def chaos(log: str, steps: int, seed: int) -> list[int]:
    """Chaos: ``steps`` sequential activities; the result lists what each returned."""
    out = []
    for i in range(steps):
        done = await goblins.workflow.execute_activity(chaos_step, log, i, seed, start_to_close_timeout=60)
        out.append(done["value"])
    return out


@goblins.workflow
async def big_payload(size: int) -> int:
    """Scenario B: one activity with a big result, stored in the history."""
    return len(await goblins.workflow.execute_activity(payload, size))


@goblins.workflow
async def ten_steps_with_timer(x: int) -> int:
    """The mixed workload's 15 %: ten no-op activities with a short durable timer halfway."""
    total = 0
    for i in range(10):
        if i == 5:
            await goblins.workflow.sleep(0.05)
        total += await goblins.workflow.execute_activity(noop, i)
    return total + x


@goblins.workflow
async def with_signal(x: int) -> int:
    """The mixed workload's 5 %: one activity, then the signal ``go`` the client sends."""
    first = int(await goblins.workflow.execute_activity(noop, x))
    return first + int(await goblins.workflow.wait_for_signal("go"))


@goblins.workflow
async def ten_activities(x: int) -> int:
    """Scenario A: ten sequential no-op activities (the server dispatches each)."""
    total = x
    for i in range(10):
        total += await goblins.workflow.execute_activity(noop, i)
    return total


@goblins.workflow
async def ten_local_activities(x: int) -> int:
    """Scenario A: the same ten steps as local activities (run inside the workflow task)."""
    total = x
    for i in range(10):
        total += await goblins.workflow.execute_local_activity(noop, i)
    return total
