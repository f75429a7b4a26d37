"""RetryPolicy validation and the server's back-off arithmetic."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import goblins
from goblins.retry import next_delay


def proto(**kw: Any) -> Any:
    return goblins.RetryPolicy(**kw).to_proto()


def test_defaults() -> None:
    p = goblins.RetryPolicy()
    assert (p.maximum_attempts, p.initial_interval, p.backoff_coefficient, p.maximum_interval) == (3, 1.0, 2.0, 100.0)
    assert p.non_retryable_error_types == ()


def test_policy_is_frozen_and_normalises_error_names_to_a_tuple() -> None:
    p = goblins.RetryPolicy(non_retryable_error_types=["KeyError", "ValueError"])
    assert p.non_retryable_error_types == ("KeyError", "ValueError")
    hash(p)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.maximum_attempts = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"maximum_attempts": -1}, "maximum_attempts"),
        ({"maximum_attempts": 2.5}, "maximum_attempts"),
        ({"maximum_attempts": True}, "maximum_attempts"),
        ({"initial_interval": -0.1}, "initial_interval"),
        ({"initial_interval": "1"}, "initial_interval"),
        ({"initial_interval": float("nan")}, "initial_interval"),
        ({"maximum_interval": -1}, "maximum_interval"),
        ({"maximum_interval": float("nan")}, "maximum_interval"),
        ({"initial_interval": float("inf")}, "initial_interval"),
        ({"backoff_coefficient": float("inf")}, "backoff_coefficient"),
        ({"backoff_coefficient": 0.5}, "backoff_coefficient"),
        ({"backoff_coefficient": float("nan")}, "backoff_coefficient"),
        ({"maximum_interval": float("inf")}, "maximum_interval"),
        ({"non_retryable_error_types": "ValueError"}, "non_retryable_error_types"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"RetryPolicy.{field}"):
        goblins.RetryPolicy(**kwargs)


def test_to_proto_round_trips_fields() -> None:
    p = goblins.RetryPolicy(
        maximum_attempts=4,
        initial_interval=0.5,
        backoff_coefficient=3,
        maximum_interval=9,
        non_retryable_error_types=["KeyError"],
    )
    m = p.to_proto()
    assert (m.max_attempts, m.initial_interval, m.backoff_coefficient, m.maximum_interval) == (4, 0.5, 3, 9)
    assert list(m.non_retryable_errors) == ["KeyError"]


def test_delays_grow_by_the_coefficient_up_to_the_maximum() -> None:
    p = proto(maximum_attempts=0, initial_interval=1, backoff_coefficient=2, maximum_interval=5)
    assert [next_delay(p, attempt, "E") for attempt in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_no_delay_after_the_last_attempt() -> None:
    p = proto(maximum_attempts=3)
    assert next_delay(p, 2, "E") is not None
    assert next_delay(p, 3, "E") is None
    assert next_delay(p, 4, "E") is None
    assert next_delay(proto(maximum_attempts=1), 1, "E") is None


def test_non_retryable_errors_are_never_retried() -> None:
    p = proto(maximum_attempts=0, non_retryable_error_types=["KeyError"])
    assert next_delay(p, 1, "KeyError") is None
    assert next_delay(p, 1, "ValueError") == 1.0


def test_unlimited_attempts_never_overflow() -> None:
    # maximum_attempts=0 retries for ever: the thousandth attempt must still get a finite delay.
    p = proto(maximum_attempts=0, initial_interval=0.01, backoff_coefficient=2, maximum_interval=0.05)
    assert next_delay(p, 5000, "E") == 0.05
    p = proto(maximum_attempts=0, initial_interval=1, backoff_coefficient=1e300, maximum_interval=7)
    assert next_delay(p, 3, "E") == 7.0


def test_constant_interval() -> None:
    p = proto(maximum_attempts=0, initial_interval=0.25, backoff_coefficient=1)
    assert {next_delay(p, a, "E") for a in (1, 10, 10_000)} == {0.25}


def test_zero_interval_stays_zero_for_ever() -> None:
    p = proto(maximum_attempts=0, initial_interval=0, backoff_coefficient=2)
    assert next_delay(p, 5000, "E") == 0.0
