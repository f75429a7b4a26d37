"""Deploy 2, deprecate: no run of v1 is open (the deploy gate says so); only the new branch
is left. Runs of v2 (with the marker) and of this code (a deprecated marker) both replay."""

from __future__ import annotations

import goblins
from examples.shipping.activities import buy_label, notify


@goblins.workflow(name="shipping")
async def shipping(order: str) -> str:
    goblins.workflow.deprecate_patch("buy-label")
    label = await goblins.workflow.execute_activity(buy_label, order, start_to_close_timeout=30)
    await goblins.workflow.wait_for_signal("picked_up")
    return await goblins.workflow.execute_activity(notify, order, label, start_to_close_timeout=30)
