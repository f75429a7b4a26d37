"""Workflows for the workflow id tests."""

from __future__ import annotations

import goblins


@goblins.workflow
async def gate(tag: str) -> str:
    """Waits for the signal "open": returns the tag, or fails when the signal says so."""
    how = await goblins.workflow.wait_for_signal("open")
    if how == "fail":
        raise goblins.ApplicationError(f"{tag} failed as asked")
    return tag


@goblins.workflow
async def relay(hops: int, seen: list[str]) -> list[str]:
    """Each run waits for one "hop" signal, then continues as new until ``hops`` reach 0."""
    seen = [*seen, await goblins.workflow.wait_for_signal("hop")]
    if hops == 0:
        return seen
    goblins.workflow.continue_as_new(hops - 1, seen)
