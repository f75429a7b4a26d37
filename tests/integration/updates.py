"""Workflows for the update and signal-with-start tests (imported by the e2e workers too)."""

from __future__ import annotations

from typing import Any

import goblins


@goblins.activity
async def record(what: str) -> str:
    return f"recorded {what}"


@goblins.workflow
async def cart(owner: str) -> dict[str, Any]:
    """A cart: ``add`` updates it (validated: a positive quantity), ``checkout`` ends it."""
    items: dict[str, int] = {}
    state: dict[str, Any] = {"adds": 0}

    def validate_add(item: str, qty: int) -> None:
        if qty <= 0:
            raise ValueError(f"quantity must be positive, got {qty}")

    async def add(item: str, qty: int) -> int:
        state["adds"] += 1  # applied once per accepted update, on every replay alike
        items[item] = items.get(item, 0) + qty
        if item == "slow":  # an update that waits on an activity: in flight across a kill
            await goblins.workflow.execute_activity(record, item, start_to_close_timeout=30)
        return items[item]

    def remove(item: str) -> int:
        if item not in items:
            raise goblins.ApplicationError(f"no {item} in the cart", item, type="NotInCart")
        return items.pop(item)

    goblins.workflow.set_update_handler("add", add, validator=validate_add)
    goblins.workflow.set_update_handler("remove", remove)
    goblins.workflow.set_query_handler("items", lambda: dict(items))
    await goblins.workflow.wait_for_signal("checkout")
    return {"owner": owner, "items": items, "adds": state["adds"]}


@goblins.workflow
async def tally(start: int) -> int:
    """Adds up the ``add`` signals until one of 0."""
    total = start
    while True:
        n = await goblins.workflow.wait_for_signal("add")
        if n == 0:
            return total
        total += n
