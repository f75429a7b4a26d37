"""A goblins cluster in the distributed mode: servers on Kafka + Cassandra, real processes."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

from e2e_support import REPO, Cluster, Proc, free_port, goblins_command

PARTITIONS = 4


class DistributedCluster(Cluster):
    """Like the e2e Cluster, but every server runs with --store cassandra:// --broker kafka://."""

    mode = "distributed"
    patience = 60.0
    # A restarted server and a new worker wait out the dead ones' Kafka sessions (6 s each).
    recovery = 120.0

    def __init__(self, tmp_path: Path, kafka: str, cassandra: str) -> None:
        super().__init__(tmp_path)
        self.kafka = kafka
        self.cassandra = cassandra
        self.namespace = f"t{uuid.uuid4().hex[:12]}"
        self.store_url = f"cassandra://{cassandra}/{self.namespace}"
        self.broker_url = f"kafka://{kafka}/{self.namespace}"
        self.servers: dict[int, Proc] = {}
        for args in (
            ["setup", "cassandra", "--cassandra", cassandra, "--keyspace", self.namespace, "--wait", "60"],
            ["setup", "kafka", "--kafka", kafka, "--namespace", self.namespace, "--partitions", str(PARTITIONS)],
        ):
            done = self.cli(*args, timeout=120)
            assert done.returncode == 0, f"goblins {' '.join(args)} failed:\n{done.stderr}"

    def start_server(self, timeout: float = 60.0, port: int | None = None, env: dict[str, str] | None = None) -> Proc:
        port = port or self.port
        self._servers += 1
        proc = self.spawn(
            f"server-{self._servers}",
            [*goblins_command(), "server", "--port", str(port), "--store", self.store_url, "--broker", self.broker_url],
            env=env,
        )
        if port == self.port:
            self.server = proc
        self.servers[port] = proc
        self.wait_listening(proc, timeout)
        return proc

    def start_other_server(self) -> tuple[Proc, str]:
        """A second server of the same cluster (same store, same topics), on another port."""
        port = free_port()
        return self.start_server(port=port), f"127.0.0.1:{port}"

    def owns_partitions(self, proc: Proc) -> bool:
        return "owns events partitions" in proc.text()

    def stored_events(self, run_id: str) -> list[tuple[int, str, str]]:
        """(seq, type, step_id) of the run, straight from Cassandra."""
        from cassandra.cluster import Cluster as CassandraCluster

        host, _, port = self.cassandra.rpartition(":")
        cluster = CassandraCluster([host], port=int(port))
        try:
            session = cluster.connect(self.namespace)
            rows = session.execute("SELECT seq, type, step_id FROM events WHERE run_id = %s", (run_id,))
            return [(int(r.seq), str(r.type), str(r.step_id)) for r in rows]
        finally:
            cluster.shutdown()

    def teardown(self, dump: bool) -> None:
        """Kill the processes, then drop the test's keyspace and topics: the shared Cassandra
        and Kafka would otherwise keep thousands of them (Cassandra ran out of heap at ~330
        keyspaces). GOBLINS_TEST_KEEP_DATA=1 keeps them for a post-mortem."""
        super().teardown(dump)
        if os.environ.get("GOBLINS_TEST_KEEP_DATA"):
            print(f"kept keyspace and Kafka namespace {self.namespace}")
            return
        try:
            self.drop_data()
        except Exception as exc:  # a service being restarted by another test: leave the data
            print(f"could not drop keyspace/topics {self.namespace}: {exc}")

    def drop_data(self) -> None:
        from cassandra.cluster import Cluster as CassandraCluster
        from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

        host, _, port = self.cassandra.rpartition(":")
        cluster = CassandraCluster([host], port=int(port))
        try:
            cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {self.namespace}", timeout=60)
        finally:
            cluster.shutdown()
        admin = AdminClient({"bootstrap.servers": self.kafka})
        ours = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{self.namespace}.")]
        if ours:
            for future in admin.delete_topics(ours, operation_timeout=30).values():
                future.result()

    def services(self, *args: str, timeout: float = 240.0) -> None:
        """scripts/services (restart kafka, kill9 cassandra, …) on the shared test services."""
        done = subprocess.run(
            [str(REPO / "scripts" / "services"), *args], capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"scripts/services {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
