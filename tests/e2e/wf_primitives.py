"""Workflows for the primitive end-to-end tests, hosted by `goblins worker wf_primitives`."""

from __future__ import annotations

import os

from wf_steps import _append

import goblins


@goblins.activity
async def mark(path: str, text: str) -> str:
    _append(path, f"{text}:{os.getpid()}")
    return text


@goblins.workflow(name="sleepy")
async def sleepy(path: str, seconds: float) -> list[str]:
    """mark, sleep (a durable timer), mark."""
    before = await goblins.execute_activity(mark, path, "before")
    await goblins.sleep(seconds)
    after = await goblins.execute_activity(mark, path, "after")
    return [before, after]


@goblins.workflow(name="approve")
async def approve(path: str) -> str:
    """Waits for the signal 'approve', then marks who approved."""
    await goblins.execute_activity(mark, path, "waiting")
    who = await goblins.wait_for_signal("approve")
    return await goblins.execute_activity(mark, path, f"approved by {who}")


@goblins.workflow(name="child_approval")
async def child_approval(path: str, tag: str) -> str:
    await goblins.execute_activity(mark, path, f"child {tag} waiting")
    who = await goblins.wait_for_signal("approve")
    return await goblins.execute_activity(mark, path, f"child {tag} approved by {who}")


@goblins.workflow(name="family")
async def family(path: str) -> list[str]:
    """Two children that each wait for a signal; the parent returns both results."""
    first = await goblins.start_workflow(child_approval, path, "a", run_id=f"{goblins.uuid4()}-a")
    second = await goblins.start_workflow(child_approval, path, "b")
    return [await first.result(), await second.result()]
