"""Retry policy for activities: how the server spaces and bounds the attempts."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from goblins._proto import goblins_pb2 as pb


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How the server retries an activity that finished in error."""

    max_attempts: int = 3
    """Attempts in all, the first included; 0 means no limit."""
    initial_interval: float = 1.0
    """Seconds to wait before the second attempt."""
    backoff_coefficient: float = 2.0
    """Each wait is this many times the previous one."""
    maximum_interval: float = 100.0
    """No wait is longer than this many seconds."""
    non_retryable_errors: Sequence[str] = ()
    """Error type names (e.g. ``"ValueError"``) that are never retried."""

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or isinstance(self.max_attempts, bool) or self.max_attempts < 0:
            raise ValueError(f"RetryPolicy.max_attempts must be an int >= 0, got {self.max_attempts!r}")
        for field in ("initial_interval", "maximum_interval"):
            value = getattr(self, field)
            if not _is_number(value) or not value >= 0 or (field == "initial_interval" and math.isinf(value)):
                raise ValueError(f"RetryPolicy.{field} must be a number >= 0 seconds, got {value!r}")
        if not _is_number(self.backoff_coefficient) or not 1 <= self.backoff_coefficient < math.inf:
            raise ValueError(
                f"RetryPolicy.backoff_coefficient must be a number >= 1, got {self.backoff_coefficient!r}"
            )
        if isinstance(self.non_retryable_errors, str):
            raise ValueError("RetryPolicy.non_retryable_errors must be a sequence of type names, not a str")
        object.__setattr__(self, "non_retryable_errors", tuple(self.non_retryable_errors))

    def to_proto(self) -> pb.RetryPolicy:
        return pb.RetryPolicy(
            initial_interval=self.initial_interval,
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=self.maximum_interval,
            max_attempts=self.max_attempts,
            non_retryable_errors=list(self.non_retryable_errors),
        )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


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
