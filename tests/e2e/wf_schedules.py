"""Workflows for the schedule stories (tests/e2e/test_e2e_schedules.py)."""

from __future__ import annotations

import goblins


@goblins.workflow
async def stamp(tag: str) -> str:
    return tag
