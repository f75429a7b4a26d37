"""Processes of a benchmark run: one `goblins server`, N `goblins worker`, read through /proc.

`Cluster` is the embedded mode (a fresh SQLite file); `DistributedCluster` the distributed one
(a fresh Cassandra keyspace and Kafka namespace on services that already run).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = "benchmarks.workloads"
_TICK = os.sysconf("SC_CLK_TCK")
# `python -m benchmarks --tls`: dev certificates (as `goblins dev-certs` writes them) that every
# cluster's server, workers and clients then use for mutual TLS.
TLS_CERTS: dict[str, str] | None = None


def use_tls(directory: Path) -> None:
    """From now on, clusters serve and connect over mutual TLS with certificates made in ``directory``."""
    global TLS_CERTS
    from goblins._cli_tls import write_dev_certs

    TLS_CERTS = {name: str(path) for name, path in write_dev_certs(directory).items()}


def goblins_command() -> list[str]:
    """The `goblins` console script of this interpreter (else `python -m goblins.cli`)."""
    script = Path(sys.executable).with_name("goblins")
    if script.exists():
        return [sys.executable, str(script)]  # no shim or wrapper between us and the pid
    found = shutil.which("goblins")
    return [found] if found else [sys.executable, "-m", "goblins.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- /proc ----


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15 of stat)


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


def machine() -> dict[str, object]:
    from google.protobuf.internal import api_implementation

    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_total = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_total = int(line.split()[1]) // 1024
    import grpc

    return {
        **code_version(),
        "cores": os.cpu_count(),
        "cpu_model": model,
        "mem_total_mb": mem_total,
        "python": sys.version.split()[0],
        "protobuf_backend": api_implementation.Type(),
        "grpcio": grpc.__version__,
        "sqlite": sqlite3.sqlite_version,
        "platform": sys.platform,
        "load_average_at_start": os.getloadavg(),
    }


def code_version() -> dict[str, object]:
    """Which goblins is measured: the commit of this tree and whether goblins/ differs from it."""

    def git(*args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        except OSError:
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    import goblins

    return {
        "goblins_commit": git("rev-parse", "HEAD") or os.environ.get("GOBLINS_BENCH_COMMIT", "unknown"),
        "goblins_tree_dirty": bool(git("status", "--porcelain", "--", "goblins")),
        "goblins_path": str(Path(goblins.__file__).parent),
    }


# ---- processes ----


class Proc:
    """A child process in a session of its own (kill9 takes what it spawned too), with its log
    file. The benchmarks and the end-to-end tests share it."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str], cwd: Path = REPO) -> None:
        self.name = name
        self.args = args
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def memory(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def kill9(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                self.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


METRICS = False  # benchmarks --metrics: servers and workers serve Prometheus metrics


def metrics_args() -> list[str]:
    """With --metrics, a free port for this process's /metrics (counting costs the same scraped or not)."""
    return ["--metrics-port", str(free_port())] if METRICS else []


def _wait(predicate: object, timeout: float, what: str, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if proc is not None and not proc.alive:
            raise RuntimeError(
                f"{proc.name} exited with {proc.popen.returncode} while waiting for {what}:\n{proc.tail()}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


class Cluster:
    """A server on a fresh database and free port, plus workers; everything SIGKILLed on close."""

    def __init__(self, workdir: Path, synchronous: str = "full") -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "goblins.db"
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.synchronous = synchronous
        self.certs = TLS_CERTS
        self.server: Proc | None = None
        self.workers: list[Proc] = []
        self._procs: list[Proc] = []

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("GOBLINS_LOG_LEVEL", None)
        env.pop("GOBLINS_STORE", None)
        return env

    def server_args(self) -> list[str]:
        store = f"sqlite:///{self.db}"
        if self.synchronous != "full":
            store += f"?synchronous={self.synchronous}"
        return ["--store", store]

    def service_pids(self) -> dict[str, int]:
        """Processes outside the cluster whose CPU a scenario also reports (none when embedded)."""
        return {}

    def tls(self) -> Any:
        """The goblins.TLSConfig of this cluster's clients (``None``: plaintext)."""
        if self.certs is None:
            return None
        import goblins

        return goblins.TLSConfig(ca=self.certs["ca"], cert=self.certs["client"], key=self.certs["client-key"])

    def _tls_args(self, server: bool) -> list[str]:
        c = self.certs
        if c is None:
            return []
        if server:
            return ["--tls-cert", c["server"], "--tls-key", c["server-key"], "--tls-client-ca", c["ca"]]
        return ["--tls-ca", c["ca"], "--tls-cert", c["client"], "--tls-key", c["client-key"]]

    def start_server(self) -> Proc:
        args = [
            *goblins_command(),
            "server",
            *self.server_args(),
            *self._tls_args(True),
            "--port",
            str(self.port),
            *metrics_args(),
        ]
        proc = Proc("server", args, self.dir / "server.log", self._env())
        self._procs.append(proc)
        self.server = proc
        _wait(lambda: "listening on" in proc.text(), 30, "the server to listen", proc)
        return proc

    def start_worker(self, *extra: str, wait: bool = True) -> Proc:
        n = len(self.workers) + 1
        args = [
            *goblins_command(),
            "worker",
            WORKLOADS,
            "--server",
            self.address,
            *self._tls_args(False),
            *metrics_args(),
            *extra,
        ]
        proc = Proc(f"worker-{n}", args, self.dir / f"worker-{n}.log", self._env())
        self._procs.append(proc)
        self.workers.append(proc)
        if wait:
            self.wait_connected(proc)
        return proc

    def connected(self, worker: Proc) -> bool:
        assert self.server is not None
        return bool(re.search(rf"worker \S+-{worker.pid}-[0-9a-f]+ connected", self.server.text()))

    def wait_connected(self, worker: Proc, timeout: float = 30) -> None:
        _wait(lambda: self.connected(worker), timeout, f"{worker.name} to connect", worker)

    def procs(self) -> list[Proc]:
        return [p for p in self._procs if p.alive]

    def close(self) -> None:
        for p in reversed(self._procs):
            p.kill9()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the database, read directly ----

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def event_count(self) -> int:
        return int(self.query("SELECT count(*) FROM events")[0][0])  # type: ignore[call-overload]


# ---- the distributed mode ----


def service_pids() -> dict[str, int]:
    """{"kafka": pid, "cassandra": pid} of the JVMs `scripts/services status` reports as up."""
    script = REPO / "scripts" / "services"
    if not script.exists():
        return {}
    try:
        out = subprocess.run([str(script), "status"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    pids = {}
    for m in re.finditer(r"^(\w+): up pid=(\d+)", out, re.MULTILINE):
        pid = int(m.group(2))
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "java":
                pids[m.group(1)] = pid
    return pids


class DistributedCluster(Cluster):
    """A server on Kafka + Cassandra (``--store cassandra://`` ``--broker kafka://``) and workers.

    Each instance sets up its own keyspace and Kafka namespace (``goblins setup cassandra`` and
    ``goblins setup kafka``, timed as ``setup_s``), and drops them again on close unless
    ``keep``: the services are shared, so nothing is left behind to slow down later runs.
    """

    def __init__(self, workdir: Path, kafka: str, cassandra: str, partitions: int = 4, keep: bool = False) -> None:
        super().__init__(workdir)
        self.kafka = kafka
        self.cassandra = cassandra
        self.partitions = partitions
        self.keep = keep
        self.namespace = f"bench{uuid.uuid4().hex[:12]}"
        self.setup_s = 0.0
        self._session: Any = None
        self._cassandra_cluster: Any = None

    def setup(self) -> None:
        t = time.perf_counter()
        for args in (
            ["setup", "cassandra", "--cassandra", self.cassandra, "--keyspace", self.namespace, "--wait", "60"],
            [
                "setup",
                "kafka",
                "--kafka",
                self.kafka,
                "--namespace",
                self.namespace,
                "--partitions",
                str(self.partitions),
                "--wait",
                "60",
            ],
        ):
            done = subprocess.run(
                [*goblins_command(), *args], cwd=REPO, env=self._env(), capture_output=True, text=True, timeout=180
            )
            if done.returncode != 0:
                raise RuntimeError(f"goblins {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        self.setup_s = time.perf_counter() - t

    def server_args(self) -> list[str]:
        return [
            "--store",
            f"cassandra://{self.cassandra}/{self.namespace}",
            "--broker",
            f"kafka://{self.kafka}/{self.namespace}",
        ]

    def start_server(self) -> Proc:
        if not self.setup_s:
            self.setup()
        proc = super().start_server()
        _wait(lambda: "owns events partitions" in proc.text(), 60, "the server to own its partitions", proc)
        return proc

    def service_pids(self) -> dict[str, int]:
        return service_pids()

    def _cql(self, statement: str, timeout: float = 120.0) -> list[Any]:
        if self._session is None:
            from cassandra.cluster import Cluster as CassandraCluster

            host, _, port = self.cassandra.rpartition(":")
            self._cassandra_cluster = CassandraCluster([host], port=int(port), protocol_version=5)
            self._session = self._cassandra_cluster.connect()
        return list(self._session.execute(statement, timeout=timeout))

    def event_count(self) -> int:
        """Rows of the events table: a full scan, outside any measured phase."""
        return int(self._cql(f"SELECT count(*) FROM {self.namespace}.events")[0][0])

    def drop(self) -> None:
        """Best effort: drop the keyspace, delete the namespace's topics and consumer groups."""
        with contextlib.suppress(Exception):
            self._cql(f"DROP KEYSPACE IF EXISTS {self.namespace}")
        if self._cassandra_cluster is not None:
            with contextlib.suppress(Exception):
                self._cassandra_cluster.shutdown()
            self._session = self._cassandra_cluster = None
        with contextlib.suppress(Exception):
            from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

            admin = AdminClient({"bootstrap.servers": self.kafka})
            topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{self.namespace}.")]
            if topics:
                for fut in admin.delete_topics(topics, operation_timeout=30).values():
                    with contextlib.suppress(Exception):
                        fut.result(30)
            groups = [f"{self.namespace}.goblins-servers", f"{self.namespace}.goblins-workers"]
            for fut in admin.delete_consumer_groups(groups, request_timeout=30).values():
                with contextlib.suppress(Exception):
                    fut.result(30)

    def close(self) -> None:
        super().close()
        if not self.keep:
            self.drop()
        elif self._cassandra_cluster is not None:
            with contextlib.suppress(Exception):
                self._cassandra_cluster.shutdown()
