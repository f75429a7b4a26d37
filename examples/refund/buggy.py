"""The release with the bug: the order's total is already in cents, and it multiplies by 100."""

from __future__ import annotations

import goblins
from examples.refund.activities import look_up_order, pay_refund, tell_customer


@goblins.workflow(name="refund")
async def refund(order: str, ledger: str) -> str:
    total = await goblins.workflow.execute_activity(look_up_order, order, ledger)
    await goblins.workflow.execute_activity(tell_customer, order, ledger)
    cents = total * 100  # the bug: total is in cents already
    return await goblins.workflow.execute_activity(pay_refund, order, cents, ledger)


__all__ = ["look_up_order", "pay_refund", "refund", "tell_customer"]
