"""`goblins server` and `goblins worker` with --metrics-port and --log-format json, as
processes: the flags reach them, /metrics answers, every log line is a JSON object."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import goblins
from tests.integration import ops
from tests.integration.test_cli import free_port
from tests.integration.test_metrics import scrape, value

REPO = Path(__file__).resolve().parents[2]


def spawn(log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "goblins", *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def read(log: Path) -> str:
    return log.read_text()


async def wait_for_text(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in read(log):
        assert proc.poll() is None, f"exited with {proc.returncode}:\n{read(log)}"
        assert time.monotonic() < deadline, f"no {text!r} in:\n{read(log)}"
        await asyncio.sleep(0.05)


def json_lines(log: Path) -> list[dict[str, object]]:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # every line: one JSON object


async def test_server_and_worker_processes_serve_metrics_and_log_json(tmp_path: Path) -> None:
    port, server_metrics, worker_metrics = free_port(), free_port(), free_port()
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    server = spawn(
        server_log,
        "server",
        "--port",
        str(port),
        "--db",
        str(tmp_path / "g.db"),
        "--metrics-port",
        str(server_metrics),
        "--log-format",
        "json",
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        await wait_for_text(server_log, "listening on", server)
        worker = spawn(
            worker_log,
            "worker",
            "tests.integration.ops",
            "--server",
            f"127.0.0.1:{port}",
            "--metrics-port",
            str(worker_metrics),
            "--log-format",
            "json",
        )
        await wait_for_text(server_log, "connected", server)
        async with await goblins.Client.connect(f"127.0.0.1:{port}") as client:
            handle = await client.start_workflow(ops.greet, "fail-cli")
            assert await handle.result(timeout=20) == "FAIL-CLI"
        s = await asyncio.to_thread(scrape, server_metrics)
        assert value(s, "goblins_workflows_finished_total", status="COMPLETED") == 1
        assert value(s, "goblins_activity_attempts_total", activity="flaky", outcome="failure") == 1
        w = await asyncio.to_thread(scrape, worker_metrics)
        assert value(w, "goblins_activity_seconds_count", activity="flaky") == 2
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
        for proc in (worker, server):
            if proc is not None:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    records = json_lines(server_log)
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any("metrics on http://127.0.0.1:" in str(r["message"]) for r in records)
    failed = [r for r in json_lines(worker_log) if "attempt 1" in str(r["message"])]
    assert len(failed) == 1 and failed[0]["level"] == "WARNING"
    assert failed[0]["run_id"] == handle.run_id and failed[0]["step"] and failed[0]["activity"] == "flaky"
    assert "first attempt of fail-cli fails" in str(failed[0]["message"])
