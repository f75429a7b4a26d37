"""The distributed mode with Kafka over SASL_SSL (SCRAM-SHA-512) and Cassandra over TLS with a
password: a story through a server and a worker process, and one clear error for a wrong
password or a missing TLS. The secured services come from `scripts/services up --secure`;
`scripts/test` starts them and exports GOBLINS_TEST_KAFKA_SECURE_URL and friends
(`scripts/services env --secure`). Without those variables the module is skipped.

The worker is given no Kafka password: it must get the security settings from the server,
the way it gets the Kafka address.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed_support import PARTITIONS
from e2e_support import Cluster, Proc, goblins_command

from tests.conftest import run_failed

pytestmark = [pytest.mark.e2e]

KAFKA_URL = os.environ.get("GOBLINS_TEST_KAFKA_SECURE_URL", "")
KAFKA_PASSWORD = os.environ.get("GOBLINS_TEST_KAFKA_SECURE_PASSWORD", "")
CASSANDRA_URL = os.environ.get("GOBLINS_TEST_CASSANDRA_SECURE_URL", "")
CASSANDRA_PASSWORD = os.environ.get("GOBLINS_TEST_CASSANDRA_SECURE_PASSWORD", "")

if not (KAFKA_URL and KAFKA_PASSWORD and CASSANDRA_URL and CASSANDRA_PASSWORD):
    pytest.skip(
        'secured services not requested: eval "$(scripts/services env --secure)" after `scripts/services up --secure`',
        allow_module_level=True,
    )

HERE = Path(__file__).resolve().parent
NAMESPACE = "goblins_secure_story"
Done = subprocess.CompletedProcess[str]


def _with_namespace(url: str, namespace: str) -> str:
    """The URL with its path (Kafka namespace, Cassandra keyspace) replaced."""
    scheme, _, rest = url.partition("://")
    base, sep, query = rest.partition("?")
    return f"{scheme}://{base.split('/')[0]}/{namespace}{sep}{query}"


class SecureCluster(Cluster):
    """A server on the secured services; passwords travel in the environment, never argv."""

    mode = "distributed"
    patience = 60.0

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        # One keyspace and namespace, kept: these services serve only this module, runs have
        # unique ids, and creating a keyspace (~13 s here) and dropping it (~11 s) cost more
        # than the story.
        self.namespace = NAMESPACE
        self.broker_url = _with_namespace(KAFKA_URL, self.namespace)
        self.store_url = _with_namespace(CASSANDRA_URL, self.namespace)
        for args in (
            ["setup", "cassandra", "--cassandra", self.store_url, "--wait", "60"],
            ["setup", "kafka", "--kafka", self.broker_url, "--partitions", str(PARTITIONS)],
        ):
            done = self.cli(*args, timeout=120)
            assert done.returncode == 0, f"goblins {' '.join(args)} failed:\n{done.stderr}"

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in ("GOBLINS_KAFKA_PASSWORD", "GOBLINS_KAFKA_USERNAME", "GOBLINS_CASSANDRA_PASSWORD"):
            env.pop(name, None)
        return env

    def secrets(self) -> dict[str, str]:
        return {"GOBLINS_KAFKA_PASSWORD": KAFKA_PASSWORD, "GOBLINS_CASSANDRA_PASSWORD": CASSANDRA_PASSWORD}

    def cli(self, *args: str, timeout: float = 60.0, cwd: Path | None = None) -> Done:
        """`goblins ARGS` with the passwords in its environment."""
        return subprocess.run(
            [*goblins_command(), *args],
            cwd=cwd or self.tmp,
            env={**self.env(), **self.secrets()},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_server(self, timeout: float = 60.0) -> Proc:
        self._servers += 1
        args = ["server", "--port", str(self.port), "--store", self.store_url, "--broker", self.broker_url]
        proc = self.spawn(f"server-{self._servers}", [*goblins_command(), *args], env=self.secrets())
        self.server = proc
        self.wait_listening(proc, timeout)
        return proc


@pytest.fixture
def scluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SecureCluster]:
    c = SecureCluster(tmp_path)
    try:
        yield c
    finally:
        c.teardown(dump=run_failed(request))


async def test_story_on_secured_kafka_and_cassandra(scluster: SecureCluster) -> None:
    server = scluster.start_server()
    worker = scluster.start_worker("wf_secure", cwd=HERE)  # no password in its environment
    async with await scluster.client() as client:
        handle = await client.start_workflow("secure_story", "ada")
        await handle.signal("approve", "bob")
        assert await handle.result(timeout=scluster.patience) == ["hello ada", "hello bob"]
    for proc in (server, worker):
        text = proc.text()
        assert KAFKA_PASSWORD not in text and CASSANDRA_PASSWORD not in text, f"a password in {proc.name}'s log"


def test_wrong_passwords_and_missing_tls_fail_in_one_line(tmp_path: Path) -> None:
    """No setup needed: each attempt fails before any topic or table is looked at."""
    namespace = f"t{uuid.uuid4().hex[:12]}"
    broker_url, store_url = _with_namespace(KAFKA_URL, namespace), _with_namespace(CASSANDRA_URL, namespace)

    def cli(*args: str, kafka: str = KAFKA_PASSWORD, cassandra: str = CASSANDRA_PASSWORD) -> Done:
        env = {**Cluster(tmp_path).env(), "GOBLINS_KAFKA_PASSWORD": kafka, "GOBLINS_CASSANDRA_PASSWORD": cassandra}
        return subprocess.run([*goblins_command(), *args], env=env, capture_output=True, text=True, timeout=120)

    def refused(done: Done, *expected: str) -> None:
        out = done.stderr
        assert done.returncode == 2, out
        assert "Traceback" not in out and "wrong-secret" not in out, out
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1 and all(e in lines[0] for e in expected), out

    server = ["server", "--port", "0", "--store", store_url, "--broker", broker_url]
    refused(cli(*server, kafka="wrong-secret"), "Kafka at", "refused the login", "GOBLINS_KAFKA_PASSWORD")
    setup = ["setup", "cassandra", "--cassandra", store_url, "--wait", "20"]  # the server's own connect()
    refused(cli(*setup, cassandra="wrong-secret"), "Cassandra at", "refused the login", "GOBLINS_CASSANDRA_PASSWORD")
    plain_kafka = broker_url.partition("?")[0]
    refused(cli("setup", "kafka", "--kafka", plain_kafka, "--wait", "20"), "expect TLS or SASL")
    plain_cassandra = "cassandra://" + store_url.partition("@")[2].partition("?")[0]
    refused(cli("setup", "cassandra", "--cassandra", plain_cassandra, "--wait", "20"), "expect TLS")
