"""Functions that workflow code calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from goblins._runtime import current_instance
from goblins.retry import RetryPolicy

T = TypeVar("T")


def execute_activity(
    activity: Callable[..., Any] | str,
    *args: Any,
    retry_policy: RetryPolicy | None = None,
    start_to_close_timeout: float | None = None,
) -> asyncio.Future[Any]:
    """Schedule an activity from workflow code; await the result.

    ``activity`` is an ``@goblins.activity`` function or its registered name. The arguments
    must be JSON-serializable (dataclasses and pydantic models are). The server retries a
    failed attempt according to ``retry_policy`` (default: 3 attempts, back-off from 1 s);
    ``start_to_close_timeout`` (seconds) bounds one attempt. When the attempts are exhausted,
    awaiting raises :class:`goblins.ActivityFailed`.

    The step is scheduled when this is called, so ``asyncio.gather(execute_activity(a),
    execute_activity(b))`` runs both in parallel.
    """
    return current_instance("execute_activity").schedule_activity(
        activity, args, retry_policy, start_to_close_timeout
    )
