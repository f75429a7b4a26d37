"""Determinism: a raffle drawn with goblins.workflow.now(), goblins.workflow.random() and goblins.workflow.uuid4().

The draw is announced, then the run waits for the winner to claim the prize; a worker that
resumes the run from its history (after a crash, or hours later) draws the same again.

    goblins server
    goblins worker examples.raffle
    python -m examples.raffle
    # or by hand: goblins workflow start raffle --input '["ada", "bob", "cyd", "dee", "eve"]'
    #             goblins workflow show RUN_ID          (the announcement names the winner)
    #             goblins workflow signal RUN_ID claim --input '"WINNER"'
"""

from __future__ import annotations

import asyncio
import datetime
import os
import random
import uuid

import goblins
import goblins.testing

ENTRANTS = ["ada", "bob", "cyd", "dee", "eve"]


@goblins.activity
async def announce(winner: str, ticket: str) -> str:
    return f"announced {winner}, ticket {ticket}"


@goblins.workflow(name="raffle")
async def raffle(entrants: list[str]) -> list[str]:
    drawn_at = goblins.workflow.now()  # the time of the newest event the run has seen, not the clock
    winner = entrants[int(goblins.workflow.random() * len(entrants))]  # seeded by the run id
    ticket = goblins.workflow.uuid4()
    await goblins.workflow.execute_activity(announce, winner, str(ticket))  # the outside world hears of it
    claimant = await goblins.workflow.wait_for_signal("claim", timeout=3600)
    if claimant != winner:  # after a replay, winner and ticket are drawn again: the same ones
        return [f"{claimant} holds no winning ticket", drawn_at.isoformat()]
    return [f"{winner} claimed ticket {ticket}", drawn_at.isoformat()]


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> list[str]:
    lines: list[str] = []
    async with await goblins.Client.connect(server) as client:
        handle = await client.start_workflow(raffle, ENTRANTS)
        scheduled = goblins.events.EventType.ACTIVITY_SCHEDULED
        while not (drawn := [e for e in await handle.history() if e.type == scheduled]):
            await asyncio.sleep(0.05)  # wait for the announcement: its input names the winner
        winner, ticket = drawn[0].input
        lines.append(f"{handle.run_id}: announced {winner}, ticket {ticket}")
        await handle.signal("claim", winner)
        claimed, drawn_at = await handle.result(timeout=30)
        lines.append(claimed)
        events = await handle.history()
    started = datetime.datetime.fromtimestamp(events[0].time, datetime.UTC).isoformat()
    lines.append("drawn at the run's first event" if drawn_at == started else f"drawn at {drawn_at}, not {started}")
    goblins.testing.replay(events, raffle)  # raises NondeterminismError if the code draws otherwise
    lines.append("replayed from its history: the same draw")

    @goblins.workflow(name="raffle")
    async def careless(entrants: list[str]) -> list[str]:
        drawn_at = datetime.datetime.now(datetime.UTC)  # each of these differs on replay
        winner, ticket = random.choice(entrants), uuid.uuid4()
        await goblins.workflow.execute_activity(announce, winner, str(ticket))
        claimant = await goblins.workflow.wait_for_signal("claim")
        return [f"{claimant} claimed ticket {ticket}", drawn_at.isoformat()]

    try:
        goblins.testing.replay(events, careless)
    except goblins.NondeterminismError as exc:
        lines.append(f"with datetime.now(), random and uuid.uuid4(): {type(exc).__name__}")
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    asyncio.run(main())
