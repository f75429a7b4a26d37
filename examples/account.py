"""Updates: an account you deposit to and withdraw from, each call answered with the balance.

goblins server
goblins worker examples.account
python -m examples.account
"""

from __future__ import annotations

import asyncio
import os

import goblins


@goblins.activity
async def notify(text: str) -> str:
    return f"sent: {text}"


@goblins.workflow(name="account")
async def account(owner: str) -> int:
    balance = 0

    async def deposit(amount: int) -> int:
        nonlocal balance
        balance += amount
        await goblins.workflow.execute_activity(notify, f"{owner} +{amount}")  # handlers may call activities
        return balance

    def withdraw(amount: int) -> int:
        nonlocal balance
        balance -= amount
        return balance

    def covered(amount: int) -> None:  # runs first, read-only: raising rejects, nothing recorded
        if amount > balance:
            raise ValueError(f"balance {balance} does not cover {amount}")

    goblins.workflow.set_update_handler("deposit", deposit)
    goblins.workflow.set_update_handler("withdraw", withdraw, validator=covered)
    await goblins.workflow.wait_for_signal("close")
    return balance


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> int:
    async with await goblins.Client.connect(server) as client:
        handle = await client.start_workflow(account, "ada")
        print("deposit 100 ->", await handle.execute_update("deposit", 100))
        print("withdraw 30 ->", await handle.execute_update("withdraw", 30))
        try:
            await handle.execute_update("withdraw", 500)
        except goblins.UpdateRejected as exc:
            print("withdraw 500 rejected:", exc.error)
        await handle.signal("close")
        balance: int = await handle.result(timeout=30)
        kinds = [e.type.value for e in await handle.history()]
    print("balance:", balance, "| updates recorded:", kinds.count("UPDATE_COMPLETED"))
    return balance


if __name__ == "__main__":
    asyncio.run(main())
