"""Workflows for the kill tests of queries, cancellation, termination, continue-as-new,
execution timeouts and the deterministic helpers, hosted by `goblins worker wf_more`.

Activities append ``<text>:<pid>`` to a log file the test reads (see wf_steps._append).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from wf_steps import _append

import goblins


@goblins.activity
async def note(path: str, text: str) -> str:
    _append(path, f"{text}:{os.getpid()}")
    return text


# ---- queries ----


@goblins.activity
async def label(path: str, item: str) -> str:
    _append(path, f"label {item}:{os.getpid()}")
    return item.upper()


@goblins.workflow(name="tally")
async def tally(path: str) -> list[str]:
    """Each signal 'add' is labelled by an activity; queries read the labels built so far."""
    labels: list[str] = []
    received: list[str] = []
    goblins.workflow.set_query_handler("state", lambda: {"received": list(received), "labels": list(labels)})
    goblins.workflow.set_query_handler("has", lambda text: text in labels)
    # Not workflow state: which worker process answered (queries record nothing, so this is allowed).
    goblins.workflow.set_query_handler("pid", lambda: os.getpid())
    while (item := await goblins.workflow.wait_for_signal("add")) != "done":
        received.append(item)
        labels.append(await goblins.workflow.execute_activity(label, path, item))
    return labels


# ---- cancellation and termination ----


@goblins.activity
async def refund(path: str, order: str) -> str:
    """A compensation that reports its progress with heartbeats."""
    _append(path, f"refund {order} started:{os.getpid()}")
    for step in range(3):
        goblins.activity.heartbeat(step)
        await asyncio.sleep(0.1)
    _append(path, f"refunded {order}:{os.getpid()}")
    return f"refunded {order}"


@goblins.workflow(name="refundable")
async def refundable(path: str, order: str, seconds: float) -> str:
    """Charge, wait (a durable timer); cancelled meanwhile: refund, then end cancelled."""
    await goblins.workflow.execute_activity(note, path, f"charged {order}")
    try:
        await goblins.workflow.sleep(seconds)
    except asyncio.CancelledError:
        await goblins.workflow.execute_activity(refund, path, order, heartbeat_timeout=3)
        raise
    shipped: str = await goblins.workflow.execute_activity(note, path, f"shipped {order}")
    return shipped


@goblins.activity
async def beating(path: str) -> str:
    """Heartbeats every 50 ms for up to a minute; logs when a heartbeat tells it to stop."""
    info = goblins.activity.info()
    _append(path, f"beating attempt {info.attempt}:{os.getpid()}")
    try:
        for step in range(1200):
            goblins.activity.heartbeat(step)
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        _append(path, f"told to stop:{os.getpid()}")
        raise
    _append(path, f"beating finished:{os.getpid()}")
    return "finished"


@goblins.activity
async def wind_down(path: str, steps: int) -> str:
    """A cleanup of ``steps`` steps of 0.1 s, checkpointed with heartbeats: a new attempt (a
    redelivery after its worker died) resumes from the last checkpoint."""
    start = goblins.activity.info().heartbeat_details or 0
    _append(path, f"winding down from {start}:{os.getpid()}")
    for step in range(start, steps):
        await asyncio.sleep(0.1)
        _append(path, f"wound {step}:{os.getpid()}")
        goblins.activity.heartbeat(step + 1)
    _append(path, f"wound down:{os.getpid()}")
    return "wound down"


@goblins.workflow(name="long_job")
async def long_job(path: str, cleanup_steps: int) -> str:
    """A long heartbeating activity; cancelled meanwhile: a slow cleanup, then end cancelled."""
    try:
        done: str = await goblins.workflow.execute_activity(beating, path, heartbeat_timeout=1.5)
        return done
    except asyncio.CancelledError:
        await goblins.workflow.execute_activity(wind_down, path, cleanup_steps, heartbeat_timeout=1.5)
        raise


@goblins.workflow(name="doomed")
async def doomed(path: str, seconds: float) -> str:
    """first, a timer, second: terminated in between, the second step never runs."""
    await goblins.workflow.execute_activity(note, path, "first")
    await goblins.workflow.sleep(seconds)
    await goblins.workflow.execute_activity(note, path, "second")
    return "survived"


# ---- continue-as-new ----


@goblins.workflow(name="generations")
async def generations(path: str, gen: int, last: int, seen: list[str]) -> list[str]:
    """One activity and a short timer per generation, then continue as new until ``last``."""
    got = await goblins.workflow.execute_activity(note, path, f"gen {gen}")
    await goblins.workflow.sleep(1.0)
    if gen < last:
        goblins.workflow.continue_as_new(path, gen + 1, last, [*seen, got])
    return [*seen, got]


# ---- execution timeout ----


@goblins.workflow(name="patient")
async def patient(path: str, tag: str) -> str:
    """Waits for a signal that never comes (its execution_timeout ends it)."""
    await goblins.workflow.execute_activity(note, path, f"{tag} waiting")
    await goblins.workflow.wait_for_signal("never")
    signalled: str = await goblins.workflow.execute_activity(note, path, f"{tag} signalled")
    return signalled


# ---- deterministic helpers ----


@goblins.activity
async def record(path: str, values: dict[str, Any]) -> None:
    _append(path, json.dumps({**values, "pid": os.getpid()}, sort_keys=True))


def _draw() -> dict[str, Any]:
    now, rand, uuid = goblins.workflow.now(), goblins.workflow.random(), goblins.workflow.uuid4()
    return {"now": now.isoformat(), "random": rand, "uuid": str(uuid)}


@goblins.workflow(name="stamps")
async def stamps(path: str) -> dict[str, Any]:
    """now/random/uuid4 recorded by an activity, a signal wait, then fresh draws."""
    before = _draw()
    await goblins.workflow.execute_activity(record, path, before)
    go = await goblins.workflow.wait_for_signal("go")
    return {"before": before, "signal": go, "after": _draw()}
