"""Continue-as-new: a reader works through a paged feed, three pages per run; each run hands
its cursor and its count to a fresh run, so no history grows with the feed.

    goblins server
    goblins worker examples.feed
    python -m examples.feed
    # then: goblins workflow show RUN_ID      (its last event: continued as RUN_ID~2)
    #       goblins workflow result RUN_ID    (follows the chain: the last run's result)
"""

from __future__ import annotations

import asyncio
import os

import goblins

FEED_PAGES = 8  # the feed has pages 0..7 of five items each; page 8 is empty
PAGES_PER_RUN = 3


@goblins.activity
async def fetch_page(feed: str, page: int) -> list[str]:
    return [f"{feed}/{page}/{n}" for n in range(5)] if page < FEED_PAGES else []


@goblins.workflow(name="read_feed")
async def read_feed(feed: str, page: int = 0, items: int = 0) -> str:
    for _ in range(PAGES_PER_RUN):
        got = await goblins.workflow.execute_activity(fetch_page, feed, page)
        if not got:
            return f"read {page} pages, {items} items"
        items += len(got)  # process the page here
        page += 1
    goblins.workflow.continue_as_new(feed, page, items)  # the state to carry on with: a new run, a new history


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    async with await goblins.Client.connect(server) as client:
        handle = await client.start_workflow(read_feed, "news")
        result: str = await handle.result(timeout=60)  # the result of the chain's last run
        run_id, runs = handle.run_id or "", 0
        while run_id:  # walk the chain: each run's last event names the next run
            events = await client.get_workflow_handle(handle.id, run_id=run_id).history()  # that run alone
            pages = [e.input[1] for e in events if e.type == goblins.events.EventType.ACTIVITY_SCHEDULED]
            next_run = events[-1].attributes.get("continued_as", "")
            end = f"continued as {next_run}" if next_run else "returned"
            print(f"{run_id}: pages {pages}, {len(events)} events, {end}")
            run_id, runs = next_run, runs + 1
    print(f"{result} in {runs} runs")
    return result


if __name__ == "__main__":
    asyncio.run(main())
