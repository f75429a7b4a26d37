"""Async activity completion: a payment gateway finishes the ``charge`` activity later.

The activity hands its task token to the gateway and raises ``CompleteAsync``: the worker's
slot is free at once, and the attempt stays open (its timeouts still run) until the gateway
calls ``client.complete_activity`` (or ``fail_activity``), from any process.

goblins server
goblins worker examples.payment
python -m examples.payment
# or by hand: goblins activity complete TOKEN --result '"rcpt-1"'   (TOKEN: from the gateway's file)
"""

from __future__ import annotations

import asyncio
import base64
import os
import pathlib
import tempfile
import uuid

import goblins

# The "gateway": a directory it watches for tokens (a real one would take them over HTTP).
GATEWAY = pathlib.Path(os.environ.get("GOBLINS_GATEWAY_DIR", tempfile.gettempdir())) / "goblins-gateway"


@goblins.activity
async def charge(order: str, amount: int) -> str:
    token = goblins.activity.info().task_token  # bytes: URL-safe base64 makes it text
    GATEWAY.mkdir(parents=True, exist_ok=True)
    pending = GATEWAY / f"{order}.part"
    pending.write_text(base64.urlsafe_b64encode(token).decode())
    pending.rename(GATEWAY / f"{order}.token")  # whole, or not there at all
    raise goblins.activity.CompleteAsync()  # the gateway completes it


@goblins.workflow(name="checkout")
async def checkout(order: str, amount: int) -> str:
    receipt = await goblins.workflow.execute_activity(
        charge, order, amount, start_to_close_timeout=600, heartbeat_timeout=120
    )
    return f"order {order}: paid {amount}, receipt {receipt}"


async def gateway(client: goblins.Client, order: str) -> None:
    """The external system: takes the token, says it is alive, then completes the charge."""
    path = GATEWAY / f"{order}.token"
    while not path.exists():
        await asyncio.sleep(0.05)
    token = path.read_text()  # the client takes the token as bytes or as this text
    await client.heartbeat_activity(token, {"stage": "authorized"})
    await client.complete_activity(token, f"rcpt-{order}")
    path.unlink()


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    order = f"o-{uuid.uuid4().hex[:8]}"
    async with await goblins.Client.connect(server) as client:
        handle = await client.start_workflow(checkout, order, 42)
        await gateway(client, order)
        result: str = await handle.result(timeout=60)
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
