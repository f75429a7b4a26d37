"""Deploy 1, patch: runs that reach the label step on this code buy the label; runs that
printed theirs on v1 replay the old branch and finish as they began."""

from __future__ import annotations

import goblins
from examples.shipping.activities import buy_label, notify, print_label


@goblins.workflow(name="shipping")
async def shipping(order: str) -> str:
    if goblins.workflow.patched("buy-label"):
        label = await goblins.workflow.execute_activity(buy_label, order, start_to_close_timeout=30)
    else:
        label = await goblins.workflow.execute_activity(print_label, order, start_to_close_timeout=30)
    await goblins.workflow.wait_for_signal("picked_up")
    return await goblins.workflow.execute_activity(notify, order, label, start_to_close_timeout=30)
