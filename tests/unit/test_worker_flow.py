"""Flow control per kind in the worker's task sources: what a source asks for (gRPC credit)
or lets through (Kafka) follows the free slots of each kind, sync activities included."""

from __future__ import annotations

import collections
from collections.abc import Mapping

from goblins._batching import Outbox
from goblins.api import v1 as pb
from goblins.worker._grpc_source import GrpcSource
from goblins.worker._kafka_source import KafkaSource
from goblins.worker._source import Registration, TaskKind, free_slots


def registration(running: Mapping[str, TaskKind]) -> Registration:
    return Registration(
        worker_id="w",
        workflows=["wf"],
        activities=["async_act", "sync_act"],
        max_activities=5,
        max_workflow_tasks=3,
        running=lambda: running,
        sync_activities=["sync_act"],
        max_sync_activities=2,
    )


def test_free_slots_count_a_sync_activity_in_both_pools() -> None:
    running: dict[str, TaskKind] = {"a": "activity", "s1": "sync_activity", "s2": "sync_activity", "w": "workflow"}
    assert free_slots(registration(running), running) == (2, 2, 0)


def test_the_hello_asks_for_free_slots_per_kind_and_names_the_sync_activities() -> None:
    running: dict[str, TaskKind] = {"s1": "sync_activity"}
    hello = GrpcSource(None, registration(running), {})._hello()  # type: ignore[arg-type]
    assert (hello.credit.activities, hello.credit.workflows, hello.credit.sync_activities) == (4, 3, 1)
    assert list(hello.hello.sync_activities) == ["sync_act"]


def test_a_finished_sync_activity_returns_a_sync_credit_too() -> None:
    running: dict[str, TaskKind] = {"s1": "sync_activity", "a1": "activity", "w1": "workflow"}
    source = GrpcSource(None, registration(running), {})  # type: ignore[arg-type]
    source._outbox = Outbox()
    for task_id in running:
        source.complete(task_id, pb.Report())
    assert source._credit == [2, 1, 1]


def test_starts_are_resent_ahead_of_held_results_until_acked() -> None:
    running: dict[str, TaskKind] = {"t1": "activity"}
    source = GrpcSource(None, registration(running), {})  # type: ignore[arg-type]
    started = pb.Report(activity_started=pb.ActivityStarted(task_id="t1", run_id="r"))
    source.send(started)  # lost with the server: no session yet
    result = pb.Report(activity_result=pb.ActivityResult(task_id="t1", run_id="r", ok=True))
    source.complete("t1", result)
    running.clear()
    again = GrpcSource(None, registration(running), source.unacked(), source.started())  # type: ignore[arg-type]
    assert [r.WhichOneof("kind") for r in again._hello().reports] == ["activity_started", "activity_result"]


def kafka_source(running: Mapping[str, TaskKind]) -> KafkaSource:
    source = KafkaSource.__new__(KafkaSource)  # no producer or consumer: only the flow control
    source.info = pb.ClusterInfo(tasks_topic="tasks.")
    source._kind_of = {"tasks.workflow.wf": "workflow", "tasks.activity.async_act": "activity"}
    source._kind_of["tasks.activity.sync_act"] = "sync_activity"
    source._waiting = collections.deque()
    return source


def activity(name: str, task_id: str) -> pb.Task:
    return pb.Task(activity=pb.ActivityTask(task_id=task_id, activity_name=name))


def test_kafka_tasks_beyond_the_free_slots_of_their_kind_wait_and_pause_their_kind() -> None:
    source = kafka_source({})
    source._waiting.extend([activity("sync_act", "s1"), activity("sync_act", "s2"), activity("async_act", "a1")])
    ready = source._fit((5, 3, 1))  # one sync slot free
    assert [t.activity.task_id for t in ready] == ["s1", "a1"]
    assert [t.activity.task_id for t in source._waiting] == ["s2"]
    assert source._closing((4, 3, 1)) == {"sync_activity"}  # s2 waits: no more sync tasks meanwhile
    assert source._closing((0, 3, 1)) == {"sync_activity", "activity"}
    assert source._fit((4, 3, 1))[0].activity.task_id == "s2"
    assert source._closing((3, 0, 0)) == {"sync_activity", "workflow"}


class FakeConsumer:
    def __init__(self, assigned: list[tuple[str, int]]) -> None:
        from confluent_kafka import TopicPartition

        self.assigned = [TopicPartition(t, p) for t, p in assigned]
        self.paused: set[tuple[str, int]] = set()

    def assignment(self) -> list[object]:
        return self.assigned

    def pause(self, tps: list[object]) -> None:
        self.paused |= {(tp.topic, tp.partition) for tp in tps}  # type: ignore[attr-defined]

    def resume(self, tps: list[object]) -> None:
        self.paused -= {(tp.topic, tp.partition) for tp in tps}  # type: ignore[attr-defined]


def test_kafka_partitions_of_a_closed_kind_are_paused_and_resumed() -> None:
    source = kafka_source({})
    consumer = FakeConsumer([("tasks.activity.sync_act", 0), ("tasks.activity.sync_act", 1), ("tasks.workflow.wf", 0)])
    source._flow(consumer, frozenset({"sync_activity"}))
    assert consumer.paused == {("tasks.activity.sync_act", 0), ("tasks.activity.sync_act", 1)}
    source._flow(consumer, frozenset())
    assert consumer.paused == set()
