"""The metrics and logs pieces alone: bounded labels, statuses from finishing events, the
lost-server warning schedule, the JSON log lines, the docs' list of metrics."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from goblins import cli
from goblins._logs import JsonFormatter, use_format
from goblins._metrics import OTHER, BoundedLabels
from goblins.api import v1 as pb
from goblins.server.metrics import ServerMetrics, activity_outcome, finished_status
from goblins.worker._metrics import WorkerMetrics, slots_used
from goblins.worker._reconnect import Unreachable, warning_times
from goblins.worker._source import Registration

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_a_label_takes_at_most_its_limit_of_values_the_rest_count_as_other() -> None:
    registry = CollectorRegistry()
    counter = Counter("things", "things", ["name", "outcome"], registry=registry)
    labels = BoundedLabels(counter, limit=3)
    for name in ["a", "b", "c", "d", "e", "a"]:
        labels(name, "ok").inc()
    labels("f", "bad").inc()
    assert registry.get_sample_value("things_total", {"name": "a", "outcome": "ok"}) == 2
    assert registry.get_sample_value("things_total", {"name": OTHER, "outcome": "ok"}) == 2
    assert registry.get_sample_value("things_total", {"name": OTHER, "outcome": "bad"}) == 1
    assert registry.get_sample_value("things_total", {"name": "d", "outcome": "ok"}) is None


def _finished(ok: bool, error_type: str = "", continued_as: str = "") -> pb.HistoryEvent:
    if ok:
        return pb.HistoryEvent(
            type=pb.WORKFLOW_FINISHED_IN_SUCCESS,
            workflow_finished_in_success=pb.WorkflowFinishedInSuccessAttributes(continued_as=continued_as),
        )
    e = pb.HistoryEvent(type=pb.WORKFLOW_FINISHED_IN_ERROR)
    e.workflow_finished_in_error.failure.type = error_type
    return e


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (_finished(True), "COMPLETED"),
        (_finished(True, continued_as="r~2"), "CONTINUED_AS_NEW"),
        (_finished(False, "ValueError"), "FAILED"),
        (_finished(False, "WorkflowCancelled"), "CANCELLED"),
        (_finished(False, "WorkflowTerminated"), "TERMINATED"),
        (_finished(False, "WorkflowTimedOut"), "TIMED_OUT"),
    ],
)
def test_a_finishing_event_gives_its_status(event: pb.HistoryEvent, status: str) -> None:
    assert finished_status(event) == status


def test_an_attempt_the_server_timed_out_is_a_timeout() -> None:
    e = pb.HistoryEvent(type=pb.ACTIVITY_FINISHED_IN_ERROR)
    e.activity_finished_in_error.failure.type = "TimeoutError"
    assert activity_outcome(e) == "timeout"
    e.activity_finished_in_error.failure.type = "ValueError"
    assert activity_outcome(e) == "failure"
    assert activity_outcome(pb.HistoryEvent(type=pb.ACTIVITY_FINISHED_IN_SUCCESS)) == "success"


def test_committed_events_are_counted_by_kind() -> None:
    m = ServerMetrics()
    scheduled = pb.HistoryEvent(type=pb.WORKFLOW_SCHEDULED, workflow_name="w")
    task_failed = pb.HistoryEvent(type=pb.WORKFLOW_TASK_FAILED, workflow_name="w")
    ok = pb.HistoryEvent(type=pb.ACTIVITY_FINISHED_IN_SUCCESS)
    ok.activity_finished_in_success.activity_name = "charge"
    m.committed([scheduled, task_failed, ok, _finished(True)], {})
    m.commit(0.002, 4)
    r = m.registry
    assert r.get_sample_value("goblins_workflows_started_total") == 1
    assert r.get_sample_value("goblins_workflow_task_failures_total", {"workflow": "w"}) == 1
    assert r.get_sample_value("goblins_activity_attempts_total", {"activity": "charge", "outcome": "success"}) == 1
    assert r.get_sample_value("goblins_workflows_finished_total", {"status": "COMPLETED"}) == 1
    assert r.get_sample_value("goblins_batch_events_sum") == 4
    assert r.get_sample_value("goblins_commit_seconds_count") == 1


def test_the_lost_server_warnings_come_at_doubling_intervals_up_to_the_most() -> None:
    assert warning_times(10, 300, 8) == [0, 10, 30, 70, 150, 310, 610, 910]


def test_an_outage_warns_once_then_by_the_schedule_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    u = Unreachable("w1", first=10, most=40, clock=lambda: now[0])
    with caplog.at_level(logging.DEBUG, logger="goblins.worker"):
        for _ in range(200):  # an attempt a second for 200 s
            u.failed("h:1", "UNAVAILABLE: down")
            now[0] += 1
        u.connected()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    # At 0, 10, 30, 70 s, then every 40 s (110, 150, 190): 7, and one for the reconnection.
    assert len(warnings) == 8, [r.getMessage() for r in warnings]
    assert "still unavailable after 70s (71 attempts" in warnings[3].getMessage()
    assert "connected again after 200.0s (200 failed attempts)" in warnings[-1].getMessage()
    assert u.since is None
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="goblins.worker"):
        u.failed("h:1", "UNAVAILABLE: down")  # a new outage warns at once again
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_a_json_log_line_has_the_fields_and_the_run_context() -> None:
    record = logging.LogRecord("goblins.worker", logging.WARNING, __file__, 1, "attempt %d failed", (2,), None)
    record.run_id, record.step = "r1", "r1/3"
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "goblins.worker"
    assert line["message"] == "attempt 2 failed" and line["run_id"] == "r1" and line["step"] == "r1/3"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "multi\nline", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exc_info"] and "run_id" not in line
    with pytest.raises(ValueError, match="log format"):
        use_format("yaml")


def test_server_and_worker_take_the_operating_flags() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["server", "--metrics-port", "0", "--log-format", "json"])
    assert (args.metrics_port, args.metrics_host, args.log_format) == (0, "127.0.0.1", "json")
    args = parser.parse_args(["worker", "mod", "--metrics-port", "9091", "--metrics-host", "0.0.0.0"])
    assert (args.metrics_port, args.metrics_host, args.log_format) == (9091, "0.0.0.0", "text")
    with pytest.raises(SystemExit):
        parser.parse_args(["server", "--metrics-port", "70000"])
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "mod", "--log-format", "xml"])
    args = parser.parse_args(["workflow", "list"])
    assert not hasattr(args, "metrics_port")


def test_worker_slots_used_count_sync_activities_among_activities() -> None:
    running = {"t1": "activity", "t2": "sync_activity", "t3": "workflow", "t4": "sync_activity"}
    assert slots_used(running) == {"activity": 3.0, "sync_activity": 2.0, "workflow": 1.0}
    reg = Registration("w", ["wf"], ["a"], 10, 5, lambda: running, ["a"], 4)
    m = WorkerMetrics(reg, lambda: True)
    r = m.registry
    assert r.get_sample_value("goblins_worker_slots_used", {"kind": "activity"}) == 3
    assert r.get_sample_value("goblins_worker_slots_max", {"kind": "sync_activity"}) == 4
    assert r.get_sample_value("goblins_worker_connected") == 1
    m.activity("a", 0.2)
    assert r.get_sample_value("goblins_activity_seconds_count", {"activity": "a"}) == 1


def test_the_docs_list_every_metric_and_the_dashboard_uses_only_listed_ones() -> None:
    registered = set()
    server = ServerMetrics()
    server.sample(lambda: 0, lambda: 0)
    reg = Registration("w", ["wf"], ["a"], 10, 5, dict, [], 0)
    for registry in (server.registry, WorkerMetrics(reg, lambda: True).registry):
        registered |= {family.name for family in registry.collect()}
    page = (DOCS / "metrics.md").read_text()
    listed = {name.removesuffix("_total") for name in re.findall(r"^\| `(goblins_\w+)`", page, re.MULTILINE)}
    assert listed == registered
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    used = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            used |= set(re.findall(r"goblins_\w+", target["expr"]))
    stems = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in used}
    assert stems <= registered and len(stems) >= 10


def test_the_log_format_applies_before_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(cli, "cmd_worker", lambda args: seen.append("ran") or 0)
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        args = cli.build_parser().parse_args(["worker", "mod", "--log-format", "json"])
        args.func(args)
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        root.removeHandler(handler)
    assert seen == ["ran"]


def test_the_lock_free_histogram_exposes_cumulative_buckets_as_prometheus_does() -> None:
    from prometheus_client import Histogram

    from goblins._metrics import Histograms

    ours_registry, theirs_registry = CollectorRegistry(), CollectorRegistry()
    ours = Histograms("h", "h", ["k"], (0.1, 1.0, 10.0))
    ours_registry.register(ours)
    theirs = Histogram("h", "h", ["k"], buckets=(0.1, 1.0, 10.0), registry=theirs_registry)
    for x in (0.05, 0.1, 0.5, 1.0, 3.0, 10.0, 50.0):
        ours.labels("a").observe(x)
        theirs.labels("a").observe(x)
    names = ("h_bucket", "h_count", "h_sum")

    def samples(registry: CollectorRegistry) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
        return {
            (s.name, tuple(sorted(s.labels.items())), s.value)
            for family in registry.collect()
            for s in family.samples
            if s.name in names
        }

    assert samples(ours_registry) == samples(theirs_registry)
    with pytest.raises(ValueError, match="labels"):
        ours.labels("a", "b")
