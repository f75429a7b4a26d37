"""The one reading of a duration argument: seconds (int or float) or a ``datetime.timedelta``."""

from __future__ import annotations

import datetime
import math

Duration = float | datetime.timedelta
"""What every duration argument of the public API accepts."""


def seconds(value: object, argument: str, *, zero: bool = True) -> float:
    """``value`` in seconds; a ValueError naming ``argument`` if it is not a finite duration.

    NaN, infinities and negative durations are refused (a NaN slips through every ``<``
    comparison, and an infinite timer would never fire nor ever be refused later);
    ``zero=False`` refuses 0 too, for timeouts where 0 would mean "none".
    """
    kind = type(value)
    # Exact types first: workflow code passes a timeout with every activity it schedules.
    if kind is float or kind is int:
        number = float(value)  # type: ignore[arg-type]
    elif isinstance(value, datetime.timedelta):
        number = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        number = math.nan
    if 0 <= number < math.inf and (zero or number):  # NaN fails the first comparison
        return number
    bound = ">= 0" if zero else "> 0"
    raise ValueError(f"{argument} must be seconds (a finite number {bound}) or a datetime.timedelta, got {value!r}")


def optional_seconds(value: object, argument: str, *, zero: bool = True) -> float | None:
    """:func:`seconds`, with None kept as None (no bound)."""
    return None if value is None else seconds(value, argument, zero=zero)
