"""Workflows for the search attribute tests (tests/integration/test_search.py, the e2e story)."""

from __future__ import annotations

import datetime
from typing import Any

import goblins


@goblins.workflow
async def order(customer: str) -> dict[str, Any]:
    """Upserts its stage twice around a signal, then returns what ``info()`` showed."""
    before = dict(goblins.workflow.info().search_attributes)
    goblins.workflow.upsert_search_attributes({"stage": "paid", "amount": 50.0})
    await goblins.workflow.wait_for_signal("ship")
    shipped = datetime.datetime(2026, 12, 24, 10, 0, tzinfo=datetime.UTC)
    goblins.workflow.upsert_search_attributes({"stage": "shipped", "shipped_at": shipped, "priority": None})
    info = goblins.workflow.info()
    after = {k: v.isoformat() if isinstance(v, datetime.datetime) else v for k, v in info.search_attributes.items()}
    return {"customer": customer, "before": before, "after": after, "memo": dict(info.memo)}


@goblins.workflow
async def parent(customer: str) -> str:
    """Starts a child with search attributes of its own."""
    return str(await goblins.workflow.execute_child(leaf, customer, search_attributes={"customer": customer}))


@goblins.workflow
async def leaf(customer: str) -> str:
    return f"leaf of {customer}"


@goblins.workflow
async def bad_upsert() -> str:
    """Upserts an int into a keyword attribute: its workflow task fails, naming the attribute."""
    goblins.workflow.upsert_search_attributes({"customer": 17})
    return "never"
