"""Workflows for the schedule tests."""

from __future__ import annotations

import goblins


@goblins.workflow
async def held(tag: str) -> str:
    """Runs until the signal "open" arrives: an action that overlaps the next ones."""
    await goblins.workflow.wait_for_signal("open")
    return tag


@goblins.workflow
async def quick(tag: str) -> str:
    return tag
