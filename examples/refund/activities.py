"""The refund's activities: each writes what it did to a ledger file (one line each), which is
how the example shows that a reset does not do a step before its point again."""

from __future__ import annotations

import goblins

TOTALS = {"order-17": 4200}  # the order's total, in cents


def _note(ledger: str, line: str) -> None:
    with open(ledger, "a", encoding="utf-8") as f:
        f.write(line + "\n")


@goblins.activity
async def look_up_order(order: str, ledger: str) -> int:
    _note(ledger, f"looked up {order}")
    return TOTALS[order]


@goblins.activity
async def tell_customer(order: str, ledger: str) -> str:
    _note(ledger, f"told the customer of {order}")
    return "told"


@goblins.activity
async def pay_refund(order: str, cents: int, ledger: str) -> str:
    total = TOTALS[order]
    if cents > total:
        _note(ledger, f"refused {cents} cents for {order}")
        raise goblins.ApplicationError(
            f"the refund of {cents} cents exceeds {order}'s total of {total}", non_retryable=True
        )
    _note(ledger, f"paid {cents} cents for {order}")
    return f"refunded {cents} cents for {order}"
