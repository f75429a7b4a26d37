"""What activity code uses: the ``defn`` decorator, its attempt's info, heartbeats, and
``CompleteAsync`` (another system finishes the activity with ``info().task_token``).

``@goblins.activity`` is ``@goblins.activity.defn``: this module is callable (see
:mod:`goblins._module`).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from goblins._activity import ActivityInfo, CompleteAsync, current_context
from goblins._definitions import define_activity
from goblins._logger import activity_logger as logger
from goblins._module import Exported, decorator

__all__ = ["ActivityInfo", "CompleteAsync", "defn", "heartbeat", "info", "logger"]

defn = decorator(
    define_activity,
    """Mark a function (``async def`` or plain ``def``) as an activity.

    Use as ``@goblins.activity`` or ``@goblins.activity(name="greetActivity")`` (``.defn``
    may be spelled out). The function stays callable as before; workers run it when a
    workflow schedules it. A plain ``def`` runs in the worker's thread pool.
    """,
)


def heartbeat(details: Any = None) -> None:
    """Tell the server this activity is alive, optionally with JSON ``details`` of its progress.

    With ``heartbeat_timeout`` set on ``goblins.workflow.execute_activity``, an attempt that
    stops heartbeating for that long is timed out and retried; the next attempt reads the last
    details from ``goblins.activity.info().heartbeat_details`` (resume from a checkpoint).
    When the workflow no longer wants the activity (cancelled, finished), heartbeat raises
    ``asyncio.CancelledError``.
    """
    current_context("activity.heartbeat").heartbeat(details)


def info() -> ActivityInfo:
    """The running activity attempt: ids, attempt number, an earlier attempt's heartbeat details."""
    return current_context("activity.info").info


class _Module(types.ModuleType):
    """This module's type: ``@goblins.activity`` calls ``defn`` (see :mod:`goblins._module`)."""

    __call__ = Exported(defn)
    ActivityInfo = ActivityInfo
    CompleteAsync = CompleteAsync
    defn = Exported(defn)
    heartbeat = Exported(heartbeat)
    info = Exported(info)
    logger = logger


sys.modules[__name__].__class__ = _Module
