"""Workflows for the search attribute story, hosted by `goblins worker wf_search`."""

from __future__ import annotations

import goblins


@goblins.workflow(name="order")
async def order(customer: str) -> str:
    """Marks itself paid, then shipped once the signal ``ship`` comes."""
    goblins.workflow.upsert_search_attributes({"stage": "paid"})
    await goblins.workflow.wait_for_signal("ship")
    goblins.workflow.upsert_search_attributes({"stage": "shipped", "amount": None})
    return f"shipped to {customer}"
