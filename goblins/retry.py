"""Retry policy for activities: how the server spaces and bounds the attempts."""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Sequence

from goblins._duration import seconds
from goblins.api import v1 as pb


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How the server retries an activity that finished in error.

    The intervals take seconds or a ``datetime.timedelta`` and are kept as float seconds.
    """

    maximum_attempts: int = 3
    """Attempts in all, the first included; 0 means no limit."""
    initial_interval: float | datetime.timedelta = 1.0
    """How long to wait before the second attempt."""
    backoff_coefficient: float = 2.0
    """Each wait is this many times the previous one."""
    maximum_interval: float | datetime.timedelta = 100.0
    """No wait is longer than this."""
    non_retryable_error_types: Sequence[str] = ()
    """Error type names (e.g. ``"ValueError"``) that are never retried."""

    def __post_init__(self) -> None:
        attempts = self.maximum_attempts
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0:
            raise ValueError(f"RetryPolicy.maximum_attempts must be an int >= 0, got {attempts!r}")
        for field in ("initial_interval", "maximum_interval"):
            object.__setattr__(self, field, seconds(getattr(self, field), f"RetryPolicy.{field}"))
        coefficient = self.backoff_coefficient
        if (
            not isinstance(coefficient, (int, float))
            or isinstance(coefficient, bool)
            or not 1 <= coefficient < math.inf
        ):
            raise ValueError(f"RetryPolicy.backoff_coefficient must be a number >= 1, got {coefficient!r}")
        if isinstance(self.non_retryable_error_types, str):
            raise ValueError("RetryPolicy.non_retryable_error_types must be a sequence of type names, not a str")
        object.__setattr__(self, "non_retryable_error_types", tuple(self.non_retryable_error_types))

    def to_proto(self) -> pb.RetryPolicy:
        """The wire form (see :mod:`goblins.wire`, which owns the mapping)."""
        from goblins import wire  # wire imports this module

        return wire.retry_policy_to_proto(self)


def next_delay(policy: pb.RetryPolicy, attempt: int, error_type: str) -> float | None:
    """Seconds to wait before the attempt after ``attempt``, or None when there is none."""
    if error_type in policy.non_retryable_errors:
        return None
    if policy.max_attempts and attempt >= policy.max_attempts:
        return None
    # With max_attempts=0 the exponent grows without bound: a float power overflows (and
    # would stop the server's event loop): past that point the wait is the maximum.
    try:
        delay = policy.initial_interval * policy.backoff_coefficient ** (attempt - 1)
    except OverflowError:
        delay = math.inf if policy.initial_interval else 0.0
    return float(min(delay, policy.maximum_interval))
