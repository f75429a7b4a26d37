"""Child workflows and continue-as-new: a parent fans out to one child per region; each
child counts down in short runs (continue_as_new keeps every history short).

    goblins server
    goblins worker examples.family
    python -m examples.family
"""

from __future__ import annotations

import asyncio
import os

import goblins


@goblins.activity
async def tally(region: str, n: int) -> int:
    return n


@goblins.workflow(name="region")
async def region(name: str, rounds: int, total: int) -> str:
    total += await goblins.workflow.execute_activity(tally, name, rounds)
    if rounds > 1:
        goblins.workflow.continue_as_new(name, rounds - 1, total)  # a fresh run (and history) per round
    return f"{name}={total}"


@goblins.workflow(name="report")
async def report(regions: list[str]) -> list[str]:
    children = [await goblins.workflow.start_child(region, r, 3, 0) for r in regions]
    return [await child.result() for child in children]


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> list[str]:
    async with await goblins.Client.connect(server) as client:
        result: list[str] = await client.execute_workflow(report, ["north", "south"], timeout=60)
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
