"""The activities every version of the shipping workflow uses."""

from __future__ import annotations

import goblins


@goblins.activity
async def print_label(order: str) -> str:
    """The old way: a label printed in the warehouse."""
    return f"printed-label-{order}"


@goblins.activity
async def buy_label(order: str) -> str:
    """The new way: a label bought from the carrier's API."""
    return f"carrier-label-{order}"


@goblins.activity
async def notify(order: str, label: str) -> str:
    return f"{order} shipped with {label}"
