"""Deploy 3, remove: the patch is gone from the code; histories with its markers still replay
(a marker the code does not ask about is skipped)."""

from __future__ import annotations

import goblins
from examples.shipping.activities import buy_label, notify


@goblins.workflow(name="shipping")
async def shipping(order: str) -> str:
    label = await goblins.workflow.execute_activity(buy_label, order, start_to_close_timeout=30)
    await goblins.workflow.wait_for_signal("picked_up")
    return await goblins.workflow.execute_activity(notify, order, label, start_to_close_timeout=30)
