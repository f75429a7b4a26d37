"""The loggers of workflow and activity code: ``goblins.workflow.logger``, ``goblins.activity.logger``.

Both are :class:`logging.LoggerAdapter` objects that add the run's context to every record as
``extra`` attributes (``--log-format json`` prints them: see goblins/_logs.py). The workflow
logger is also *replay-safe*: while the runtime replays recorded history (a worker that
resumes a run re-runs its code from the start), it emits nothing, so each line is logged once
however often the run is replayed.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from goblins import _runtime
from goblins._activity import current as _activity

_Kwargs = MutableMapping[str, Any]


def _with_context(kwargs: _Kwargs, context: dict[str, Any]) -> _Kwargs:
    """``kwargs`` with ``context`` merged under its ``extra`` (the caller's own keys win)."""
    extra = kwargs.get("extra")
    kwargs["extra"] = {**context, **extra} if extra else context
    return kwargs


class WorkflowLogger(logging.LoggerAdapter[logging.Logger]):
    """Logs from workflow code (logger ``goblins.workflow``): silent while the run replays
    history, and each record carries ``run_id``, ``workflow`` and ``step`` (the number of
    steps — activities, timers, children — the code has started so far). Outside a workflow
    it logs as a plain logger."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("goblins.workflow"), {})

    def isEnabledFor(self, level: int) -> bool:
        instance = getattr(_runtime._active, "instance", None)
        if instance is not None and instance.replaying:
            return False  # this record went out when the code first ran past here
        return self.logger.isEnabledFor(level)

    @property
    def replaying(self) -> bool:
        """Whether the calling workflow code is replaying history (records are dropped)."""
        instance = getattr(_runtime._active, "instance", None)
        return bool(instance is not None and instance.replaying)

    def process(self, msg: Any, kwargs: _Kwargs) -> tuple[Any, _Kwargs]:
        instance = getattr(_runtime._active, "instance", None)
        if instance is None:
            return msg, kwargs
        context = {"run_id": instance.run_id, "workflow": instance.definition.name, "step": instance._positions}
        return msg, _with_context(kwargs, context)


class ActivityLogger(logging.LoggerAdapter[logging.Logger]):
    """Logs from activity code (logger ``goblins.activity``): each record carries ``run_id``,
    ``workflow``, ``step`` (the step id), ``activity`` and ``attempt``. Outside an activity it
    logs as a plain logger."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("goblins.activity"), {})

    def process(self, msg: Any, kwargs: _Kwargs) -> tuple[Any, _Kwargs]:
        ctx = _activity.get(None)
        if ctx is None:
            return msg, kwargs
        t = ctx.task
        context = {
            "run_id": t.run_id,
            "workflow": t.workflow_name,
            "step": t.step_id,
            "activity": t.activity_name,
            "attempt": t.attempt,
        }
        return msg, _with_context(kwargs, context)


workflow_logger = WorkflowLogger()
activity_logger = ActivityLogger()
