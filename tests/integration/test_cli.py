"""The `goblins` command against an in-process server: user errors are one line, no traceback."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import pytest

import goblins
from tests.conftest import StartWorker
from tests.integration import primitives as p
from tests.integration import workflows as w


async def goblins_cli(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOBLINS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "goblins.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def one_line_error(code: int, err: str) -> str:
    assert code != 0
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("goblins: "), err
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_start_with_bad_json_input() -> None:
    code, out, err = await goblins_cli(
        "workflow", "start", "greet", "--input", '"ok"', "--input", "{nope", "--server", "127.0.0.1:1"
    )
    line = one_line_error(code, err)
    assert "--input #2 is not valid JSON" in line and "{nope" in line
    assert out == ""


async def test_start_unknown_workflow(address: str, start_worker: StartWorker) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    code, out, err = await goblins_cli("workflow", "start", "no_such_flow", "--input", "1", "--server", address)
    line = one_line_error(code, err)
    assert "no_such_flow" in line
    assert out == ""


async def test_start_with_unreachable_server() -> None:
    code, out, err = await goblins_cli(
        "workflow", "start", "greet", "--input", '"x"', "--server", f"127.0.0.1:{free_port()}"
    )
    line = one_line_error(code, err)
    assert "no goblins server answered" in line
    assert out == ""


async def test_malformed_server_address() -> None:
    code, _, err = await goblins_cli("workflow", "list", "--server", "localhost")
    assert "HOST:PORT" in one_line_error(code, err)


async def test_result_of_unknown_run(address: str) -> None:
    code, _, err = await goblins_cli("workflow", "result", "no-such-run", "--server", address)
    assert "no-such-run" in one_line_error(code, err)


async def test_start_wait_show_and_list(address: str, start_worker: StartWorker, client: goblins.Client) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    code, out, err = await goblins_cli(
        "workflow",
        "start",
        "greet",
        "--input",
        '"Cli"',
        "--run-id",
        "cli-1",
        "--wait",
        "--timeout",
        "10",
        "--server",
        address,
    )
    assert code == 0, err
    assert out.splitlines() == ["cli-1", '"Hello Cli"']
    code, out, err = await goblins_cli("workflow", "show", "cli-1", "--server", address)
    assert code == 0, err
    for name in ("WORKFLOW_SCHEDULED", "ACTIVITY_STARTED", "greetActivity", "WORKFLOW_FINISHED_IN_SUCCESS"):
        assert name in out
    code, out, err = await goblins_cli("workflow", "list", "--server", address)
    assert code == 0, err
    assert "cli-1" in out and "COMPLETED" in out


async def test_show_prints_a_long_history_page_by_page(
    address: str, start_worker: StartWorker, client: goblins.Client
) -> None:
    await start_worker(workflows=[w.greeting], activities=[w.greet])
    handle = await client.start_workflow(w.greeting, "Pages", run_id="cli-pages")
    await handle.result(timeout=10)
    events = await handle.history()
    code, out, err = await goblins_cli("workflow", "show", "cli-pages", "--page-size", "2", "--server", address)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("greet  cli-pages  COMPLETED  "), "the header: name, run, status, duration"
    assert lines[1].startswith("SEQ") and sum(1 for line in lines if line.startswith("SEQ")) == 1
    assert [int(line.split()[0]) for line in lines[2:]] == [e.seq for e in events], "every event once, in order"
    code, _, err = await goblins_cli("workflow", "show", "cli-pages", "--page-size", "0", "--server", address)
    assert code == 2 and "--page-size" in err


async def test_failed_run_result_exit_code(address: str, start_worker: StartWorker, client: goblins.Client) -> None:
    await start_worker(workflows=[w.raises], activities=[w.greet])
    handle = await client.start_workflow(w.raises, "cli")
    code, _, err = await goblins_cli("workflow", "result", handle.run_id, "--timeout", "10", "--server", address)
    line = one_line_error(code, err)
    assert "ValueError" in line and "workflow says cli" in line


async def test_show_names_the_run_a_run_continued_as(
    address: str, start_worker: StartWorker, client: goblins.Client
) -> None:
    await start_worker(workflows=[p.countdown], activities=[p.note])
    await client.execute_workflow(p.countdown, 1, [], run_id="cli-chain", timeout=10)
    # The workflow id shows its chain's newest run; --run-id picks the first.
    code, out, err = await goblins_cli("workflow", "show", "cli-chain", "--run-id", "cli-chain", "--server", address)
    assert code == 0, err
    assert out.splitlines()[-1].endswith("continued as cli-chain~2")


async def test_start_with_an_execution_timeout(address: str, start_worker: StartWorker, client: goblins.Client) -> None:
    await start_worker(workflows=[p.approval], activities=[p.note])
    code, out, err = await goblins_cli(
        "workflow", "start", "approval", "--input", '"never"', "--execution-timeout", "0.3", "--server", address
    )
    assert code == 0, err
    with pytest.raises(goblins.WorkflowTimedOut, match=r"execution_timeout of 0\.3s"):
        await client.get_workflow_handle(out.strip()).result(timeout=10)
    code, _, err = await goblins_cli("workflow", "start", "approval", "--execution-timeout", "-1", "--server", address)
    assert "execution_timeout" in one_line_error(code, err)


async def test_ports_and_counts_are_checked_before_anything_starts() -> None:
    # gRPC would have listened on 99999 modulo 65536 without a word.
    for args, expected in (
        (("server", "--port", "99999"), "argument --port: a port is 0 to 65535, got 99999"),
        (("ui", "--port", "http"), "argument --port: expected a port number, got 'http'"),
        (("workflow", "list", "--limit", "0"), "argument --limit: must be at least 1, got 0"),
        (("server", "--max-payload-bytes", "0"), "argument --max-payload-bytes: must be at least 1, got 0"),
    ):
        code, _, err = await goblins_cli(*args)
        assert code == 2 and expected in err and "Traceback" not in err, err


def test_worker_flags_choose_the_sync_activity_executor_and_its_slots() -> None:
    from goblins.cli import build_parser, load_worker, worker_options

    args = build_parser().parse_args(
        ["worker", "tests.integration.slots", "--activity-executor", "process", "--max-concurrent-sync-activities", "3"]
    )
    worker = load_worker(args.module, "127.0.0.1:1", **worker_options(args))
    assert worker.max_concurrent_sync_activities == 3 and worker._processes is not None
    assert worker.free_slots()["sync_activities"] == 3
