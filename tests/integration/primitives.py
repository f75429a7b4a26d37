"""Workflows for the primitive tests (timers, signals, cancellation, deterministic helpers)."""

from __future__ import annotations

import asyncio
import datetime

import goblins

COMPENSATED: list[str] = []


@goblins.activity
async def note(text: str) -> str:
    return text


@goblins.activity
async def slow_note(text: str) -> str:
    await asyncio.sleep(30)
    return text


@goblins.workflow
async def nap(seconds: float) -> list[str]:
    before = goblins.now()
    await goblins.sleep(seconds)
    await goblins.sleep(datetime.timedelta(seconds=0))
    after = goblins.now()
    return [before.isoformat(), after.isoformat(), str((after - before).total_seconds() >= seconds)]


@goblins.workflow
async def approval(order: str) -> str:
    first = await goblins.wait_for_signal("approve")
    second = await goblins.wait_for_signal("approve")
    try:
        await goblins.wait_for_signal("never", timeout=0.2)
    except TimeoutError:
        timed_out = True
    return f"{order}: {first} then {second}, timeout={timed_out}"


@goblins.workflow
async def compensating(order: str) -> str:
    try:
        return await goblins.execute_activity(slow_note, order)
    except asyncio.CancelledError:
        done = await goblins.execute_activity(note, f"refund {order}")
        COMPENSATED.append(done)
        return done


@goblins.workflow
async def cancellable(order: str) -> str:
    return await goblins.execute_activity(slow_note, order)


@goblins.workflow
async def dice() -> list[str]:
    draws = [goblins.random(), goblins.random()]
    ident = goblins.uuid4()
    await goblins.execute_activity(note, "x")  # a workflow task boundary: replayed below
    return [repr(draws), str(ident), str(ident.version)]
