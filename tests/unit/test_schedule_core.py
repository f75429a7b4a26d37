"""The schedules' pure core: times (cron in a time zone, every), jitter, each overlap policy,
the catch-up window, pause, backfill and the DST nights, all on made-up times."""

from __future__ import annotations

import datetime
import itertools

import pytest

from goblins.server import schedule_core as core
from goblins.server.schedule_core import Pending, Spec, State, plan, times

PARIS = "Europe/Paris"
T0 = datetime.datetime(2026, 12, 3, 20, 0, tzinfo=datetime.UTC).timestamp()


def utc(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%d %H:%M")


def paris(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, core.Spec(timezone=PARIS).zone()).strftime("%Y-%m-%d %H:%M%z")


# ---- times ----


def test_cron_times_in_utc_and_in_a_time_zone() -> None:
    hourly = Spec(cron="0 * * * *")
    assert [utc(t) for t in times(hourly, T0, 3)] == ["2026-12-03 21:00", "2026-12-03 22:00", "2026-12-03 23:00"]
    nine = Spec(cron="0 9 * * *", timezone=PARIS)  # 09:00 in Paris is 08:00 UTC in winter
    assert [utc(t) for t in times(nine, T0, 2)] == ["2026-12-04 08:00", "2026-12-05 08:00"]


def test_every_counts_from_start_at_or_the_epoch() -> None:
    assert times(Spec(every=60), T0 + 5, 2) == [T0 + 60, T0 + 120]
    assert times(Spec(every=60, start_at=T0 + 7), T0, 2) == [T0 + 7, T0 + 67]
    assert times(Spec(every=60, end_at=T0 + 60), T0, 5) == [T0 + 60]
    assert times(Spec(cron="0 * * * *", start_at=T0 + 7200), T0, 1) == [T0 + 7200]


def test_a_0230_paris_time_on_the_spring_forward_night_fires_once_at_0300() -> None:
    spring = datetime.datetime(2026, 3, 28, 12, tzinfo=datetime.UTC).timestamp()
    got = [paris(t) for t in times(Spec(cron="30 2 * * *", timezone=PARIS), spring, 3)]
    # 02:30 does not exist on 29 March: the first time after the gap, as cron does.
    assert got == ["2026-03-29 03:00+0200", "2026-03-30 02:30+0200", "2026-03-31 02:30+0200"]


def test_a_0230_paris_time_on_the_fall_back_night_fires_once() -> None:
    fall = datetime.datetime(2026, 10, 24, 12, tzinfo=datetime.UTC).timestamp()
    got = [paris(t) for t in times(Spec(cron="30 2 * * *", timezone=PARIS), fall, 2)]
    assert got == ["2026-10-25 02:30+0200", "2026-10-26 02:30+0100"]  # not the second 02:30+0100


def test_an_hourly_time_fires_in_both_repeated_hours_of_the_fall_back_night() -> None:
    fall = datetime.datetime(2026, 10, 24, 23, 0, tzinfo=datetime.UTC).timestamp()  # 01:00 Paris
    got = times(Spec(cron="30 * * * *", timezone=PARIS), fall, 3)
    assert [paris(t) for t in got] == ["2026-10-25 01:30+0200", "2026-10-25 02:30+0200", "2026-10-25 02:30+0100"]
    assert [b - a for a, b in itertools.pairwise(got)] == [3600, 3600]  # an hour apart, really


def test_workflow_ids_name_the_scheduled_time_in_utc_to_the_second() -> None:
    assert core.workflow_id("nightly", T0 + 0.7) == "nightly-2026-12-03T20:00:00Z"


def test_jitter_is_within_bounds_and_the_same_on_every_server() -> None:
    spec = Spec(every=60, jitter=30)
    offsets = [core.jitter_of("s", spec, T0 + 60 * k) for k in range(500)]
    assert all(0 <= o < 30 for o in offsets)
    assert max(offsets) > 25 and min(offsets) < 5  # spread over the range
    assert offsets == [core.jitter_of("s", spec, T0 + 60 * k) for k in range(500)]
    assert core.jitter_of("s", Spec(every=60), T0) == 0.0


def test_a_jittered_time_fires_at_its_offset_not_before() -> None:
    spec = Spec(every=60, jitter=50)
    t = T0 + 60
    offset = core.jitter_of("s", spec, t)
    assert not plan("s", spec, State(cursor=T0), t + offset - 0.01, set()).starts
    p = plan("s", spec, State(cursor=T0), t + offset, set())
    assert [a.time for a in p.starts] == [t]


def test_specs_are_checked() -> None:
    for bad, why in [
        (Spec(), "exactly one"),
        (Spec(cron="* * *"), "5 fields"),
        (Spec(cron="61 * * * *"), "not valid"),
        (Spec(every=0.5), "at least 1"),
        (Spec(every=60, timezone="Mars/Olympus"), "unknown time zone"),
        (Spec(every=60, overlap="NOPE"), "overlap"),
        (Spec(every=60, start_at=10, end_at=5), "before"),
    ]:
        with pytest.raises(core.SpecError, match=why):
            bad.check()


# ---- plan: due times, overlap, catch-up ----


def run(spec: Spec, state: State, now: float, still_open: set[str] | None = None, start: bool = True) -> core.Plan:
    """A plan, and (``start``) its actions started as the adapter would (then moved to recent)."""
    p = plan("s", spec, state, now, set(state.running) if still_open is None else still_open)
    if start:
        for a in p.state.starting:
            a.run_id = f"run-{a.workflow_id}"
        core.started(p.state, list(p.state.starting))
    return p


def test_due_times_start_and_the_cursor_moves() -> None:
    spec = Spec(every=60)
    p = run(spec, State(cursor=T0), T0 + 59)
    assert not p.starts and p.state.cursor == T0
    p = run(spec, State(cursor=T0), T0 + 60, start=False)
    assert [a.workflow_id for a in p.starts] == ["s-2026-12-03T20:01:00Z"]
    assert p.state.cursor == T0 + 60 and p.state.running == ["s-2026-12-03T20:01:00Z"] and p.state.actions == 1
    assert [a.time for a in p.state.starting] == [T0 + 60] and not p.state.recent


def test_started_actions_move_to_recent_and_refused_ones_stop_running() -> None:
    spec = Spec(every=60, overlap="ALLOW_ALL")
    s = run(spec, State(cursor=T0), T0 + 120, start=False).state
    ok, refused = s.starting
    ok.run_id, refused.error = "r1", "no worker registered it"
    core.started(s, [ok, refused])
    assert not s.starting and s.recent == [ok, refused] and s.running == [ok.workflow_id]


def test_an_action_not_yet_started_counts_as_running() -> None:
    spec = Spec(every=60, overlap="SKIP")
    s = run(spec, State(cursor=T0), T0 + 60, start=False).state
    p = plan("s", spec, s, T0 + 120, set())  # no run found for it: its start is still to come
    assert not p.starts and p.state.skipped == 1 and p.state.running == s.running


def test_skip_drops_a_time_while_one_runs() -> None:
    spec = Spec(every=60, overlap="SKIP")
    first = run(spec, State(cursor=T0), T0 + 60).state
    p = run(spec, first, T0 + 120)
    assert not p.starts and p.state.skipped == 1
    p = run(spec, p.state, T0 + 180, still_open=set())  # it closed: the next time starts
    assert [a.time for a in p.starts] == [T0 + 180]


def test_buffer_one_keeps_one_waiting_and_skips_the_rest() -> None:
    spec = Spec(every=60, overlap="BUFFER_ONE")
    s = run(spec, State(cursor=T0), T0 + 60).state
    p = run(spec, s, T0 + 240)  # three more times while the first runs
    assert not p.starts and [b.time for b in p.state.buffer] == [T0 + 120] and p.state.skipped == 2
    p = run(spec, p.state, T0 + 250, still_open=set())
    assert [a.time for a in p.starts] == [T0 + 120] and not p.state.buffer


def test_buffer_all_starts_each_in_turn() -> None:
    spec = Spec(every=60, overlap="BUFFER_ALL")
    s = run(spec, State(cursor=T0), T0 + 60).state
    s = run(spec, s, T0 + 180).state
    assert [b.time for b in s.buffer] == [T0 + 120, T0 + 180]
    started = []
    for _ in range(2):
        p = run(spec, s, T0 + 190, still_open=set())
        started += [a.time for a in p.starts]
        s = p.state
    assert started == [T0 + 120, T0 + 180] and s.skipped == 0


def test_cancel_other_cancels_then_starts_when_it_closed() -> None:
    spec = Spec(every=60, overlap="CANCEL_OTHER")
    s = run(spec, State(cursor=T0), T0 + 60).state
    first = s.running[0]
    p = run(spec, s, T0 + 120)
    assert p.cancel == [first] and not p.starts and [b.time for b in p.state.buffer] == [T0 + 120]
    p2 = run(spec, p.state, T0 + 121)  # still closing: not cancelled twice
    assert not p2.cancel and not p2.starts
    p3 = run(spec, p2.state, T0 + 122, still_open=set())
    assert [a.time for a in p3.starts] == [T0 + 120]


def test_terminate_other_terminates_and_starts_at_once() -> None:
    spec = Spec(every=60, overlap="TERMINATE_OTHER")
    s = run(spec, State(cursor=T0), T0 + 60).state
    first = s.running[0]
    p = run(spec, s, T0 + 120)
    assert p.terminate == [first] and [a.time for a in p.starts] == [T0 + 120]
    assert p.state.running == [core.workflow_id("s", T0 + 120)]


def test_allow_all_starts_every_time() -> None:
    spec = Spec(every=60, overlap="ALLOW_ALL")
    s = run(spec, State(cursor=T0), T0 + 60).state
    p = run(spec, s, T0 + 180)
    assert [a.time for a in p.starts] == [T0 + 120, T0 + 180] and len(p.state.running) == 3


def test_catch_up_fires_the_times_within_the_window_and_counts_the_older_ones() -> None:
    spec = Spec(every=60, overlap="ALLOW_ALL", catchup_window=150)
    # Down from T0 to T0 + 600: times T0+60 .. T0+600 were missed; the window keeps the last.
    p = run(spec, State(cursor=T0), T0 + 600)
    assert [a.time for a in p.starts] == [T0 + 480, T0 + 540, T0 + 600]
    assert p.state.missed == 7 and p.state.cursor == T0 + 600


def test_catch_up_meets_the_overlap_policy() -> None:
    spec = Spec(every=60, overlap="SKIP", catchup_window=1000)
    p = run(spec, State(cursor=T0), T0 + 300)
    assert [a.time for a in p.starts] == [T0 + 60] and p.state.skipped == 4


def test_a_long_outage_is_counted_without_walking_every_time() -> None:
    spec = Spec(every=1, catchup_window=10)
    p = run(spec, State(cursor=T0), T0 + 5 * 86400)
    # 432,000 times, 11 of them within the window: one starts (SKIP), ten are skipped.
    assert len(p.starts) == 1 and p.state.skipped == 10 and p.state.missed == 5 * 86400 - 11
    cron = run(Spec(cron="* * * * *", catchup_window=120), State(cursor=T0), T0 + 30 * 86400)
    # A cron schedule's count past the first 1,000 times is estimated at their rate.
    assert len(cron.starts) == 1 and abs(cron.state.missed - (30 * 1440 - 3)) <= 2
    assert cron.state.cursor == T0 + 30 * 86400


def test_pause_starts_nothing_and_does_not_catch_up_afterwards() -> None:
    spec = Spec(every=60)
    p = run(spec, State(cursor=T0, paused=True), T0 + 600)
    assert not p.starts and p.state.cursor == T0 + 600 and p.state.missed == 0
    p.state.paused = False
    p = run(spec, p.state, T0 + 601)
    assert not p.starts
    assert core.next_times("s", spec, State(cursor=T0, paused=True), T0) == []


def test_requests_trigger_and_backfill_meet_their_own_policy() -> None:
    spec = Spec(every=3600, overlap="SKIP")
    s = State(cursor=T0, requests=[Pending(T0 + 5, "SKIP")])
    p = run(spec, s, T0 + 10)
    assert [a.time for a in p.starts] == [T0 + 5]
    back = core.backfill(Spec(every=60), T0 - 300, T0 - 120, "BUFFER_ALL")
    assert [b.time for b in back] == [T0 - 300, T0 - 240, T0 - 180, T0 - 120]
    p = run(spec, State(cursor=T0, requests=back), T0 + 10)
    assert [a.time for a in p.starts] == [T0 - 300] and len(p.state.buffer) == 3


def test_a_backfill_is_bounded() -> None:
    with pytest.raises(core.SpecError, match="at most"):
        core.backfill(Spec(every=1), T0, T0 + 10_000, "SKIP", limit=100)


def test_next_times_include_jitter() -> None:
    spec = Spec(every=60, jitter=10)
    got = core.next_times("s", spec, State(cursor=T0), T0, 3)
    assert [int(t - T0) // 60 for t in got] == [1, 2, 3]
    assert all(0 <= (t - T0) % 60 < 10 for t in got)


def test_state_round_trips_through_json() -> None:
    s = run(Spec(every=60, overlap="BUFFER_ALL"), State(cursor=T0), T0 + 180, still_open={"x"}).state
    assert State.from_json(s.to_json()) == s
