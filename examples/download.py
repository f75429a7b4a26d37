"""Heartbeats and activity timeouts: a long download that resumes from its last checkpoint.

The first attempt stalls half way; with ``heartbeat_timeout`` the server notices within 2 s
and retries, and the next attempt starts from the last chunk it heard about.

    goblins server
    goblins worker examples.download
    python -m examples.download
"""

from __future__ import annotations

import asyncio
import os

import goblins


@goblins.activity
async def download(url: str, chunks: int) -> str:
    info = goblins.activity.info()
    start = info.heartbeat_details or 0  # where an earlier attempt got to
    for chunk in range(start, chunks):
        await asyncio.sleep(0.02)  # fetch a chunk
        goblins.activity.heartbeat(chunk + 1)
        if info.attempt == 1 and chunk == chunks // 2:
            await asyncio.sleep(3600)  # the first attempt hangs: no more heartbeats
    return f"{url}: {chunks} chunks, attempt {info.attempt} resumed at chunk {start}"


@goblins.workflow(name="download")
async def fetch(url: str) -> str:
    return await goblins.workflow.execute_activity(
        download,
        url,
        20,
        heartbeat_timeout=2,  # silent for 2 s: this attempt is lost, try again
        start_to_close_timeout=60,  # one attempt, at most
        schedule_to_close_timeout=300,  # all attempts together, at most
        retry_policy=goblins.RetryPolicy(initial_interval=0.1),
    )


async def main(server: str = os.environ.get("GOBLINS_SERVER", "localhost:9075")) -> str:
    async with await goblins.Client.connect(server) as client:
        result: str = await client.execute_workflow(fetch, "https://example.invalid/big.iso", timeout=60)
    print(result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
