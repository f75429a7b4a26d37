"""Log output for ``goblins server`` and ``goblins worker``: plain text (the default) or one
JSON object per line (``--log-format json``), for log shippers that parse no free text."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT = ("run_id", "step", "workflow", "activity", "attempt", "worker")
"""Attributes a record may carry (``extra=``): copied into its JSON object when present."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message, the context
    attributes the record has (run_id, step...), and the exception's traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT:
            value = record.__dict__.get(key)
            if value is not None and value != "":
                out[key] = value
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def use_format(fmt: str, root: logging.Logger | None = None) -> None:
    """Give the root logger's handlers the ``fmt`` ("text" or "json") formatter."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in (root or logging.getLogger()).handlers:
        handler.setFormatter(formatter)
