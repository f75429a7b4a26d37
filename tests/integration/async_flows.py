"""Workflows for the async activity completion tests (imported by the e2e workers too)."""

from __future__ import annotations

import os
import pathlib
from collections import defaultdict

import goblins

DETAILS: dict[str, list[object]] = defaultdict(list)  # each attempt's info().heartbeat_details
TOKENS: dict[str, list[bytes]] = defaultdict(list)
"""Tokens handed out, by key (in-process tests); GOBLINS_TEST_TOKENS, a directory, gets them
as files KEY.ATTEMPT (tests whose worker is another process)."""


@goblins.activity
async def hand_off(key: str) -> str:
    info = goblins.activity.info()
    DETAILS[key].append(info.heartbeat_details)
    TOKENS[key].append(info.task_token)
    folder = os.environ.get("GOBLINS_TEST_TOKENS")
    if folder:
        part = pathlib.Path(folder) / f"{key}.{info.attempt}.part"
        part.write_bytes(info.task_token)
        part.rename(part.with_suffix(".token"))
    raise goblins.activity.CompleteAsync()


@goblins.activity
def hand_off_sync(key: str) -> str:  # a plain def: in the worker's thread pool
    TOKENS[key].append(goblins.activity.info().task_token)
    raise goblins.activity.CompleteAsync()


@goblins.workflow
async def waits_for(key: str, start_to_close: float = 0, heartbeat: float = 0, attempts: int = 3) -> str:
    try:
        result: str = await goblins.workflow.execute_activity(
            hand_off,
            key,
            start_to_close_timeout=start_to_close or None,
            heartbeat_timeout=heartbeat or None,
            retry_policy=goblins.RetryPolicy(maximum_attempts=attempts, initial_interval=0.1),
        )
    except goblins.ActivityFailed as exc:
        return f"failed: {exc}"
    return result


@goblins.workflow
async def waits_for_sync(key: str) -> str:
    result: str = await goblins.workflow.execute_activity(hand_off_sync, key, start_to_close_timeout=60)
    return result
