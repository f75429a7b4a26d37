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
