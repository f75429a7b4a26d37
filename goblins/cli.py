"""The ``goblins`` command: server, worker, and workflow commands for people and scripts."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from goblins import (
    _cli_activity,
    _cli_auth,
    _cli_codec,
    _cli_ids,
    _cli_ops,
    _cli_queues,
    _cli_replay,
    _cli_reset,
    _cli_schedule,
    _cli_search,
    _cli_tls,
    _cli_ui,
    _cli_update,
    _cli_workflow,
    converter,
)
from goblins._cli_workflow import _connect, json_inputs
from goblins._definitions import activity_definition, workflow_definition
from goblins._target import import_target
from goblins.codec import ENCRYPTED
from goblins.errors import CodecError, GoblinsError, WorkflowFailed
from goblins.worker import Worker

DEFAULT_SERVER = "localhost:9075"


class UserError(Exception):
    """A mistake in the command line: printed as one line, no traceback."""


def _server_default() -> str:
    return os.environ.get("GOBLINS_SERVER", DEFAULT_SERVER)


# ---- server ----


def cmd_server(args: argparse.Namespace) -> int:
    from goblins.server import serve  # the client-only commands never import server code
    from goblins.server.auth import StaticTokens

    store = args.store or f"sqlite:///{args.db}"
    try:
        _cli_tls.check_exposure(args)
        authorizer = StaticTokens.load(args.auth) if args.auth else None
        asyncio.run(
            serve(
                store,
                args.host,
                args.port,
                args.broker,
                max_payload_bytes=args.max_payload_bytes,
                results_cache_bytes=args.results_cache_bytes,
                warn_history_bytes=args.warn_history_bytes,
                max_history_bytes=args.max_history_bytes,
                authorizer=authorizer,
                **_cli_ops.metrics_options(args),
                tls=_cli_tls.server_tls(args),
            )
        )
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    return 0


# ---- worker ----


def load_worker(target: str, server: str | None, **options: Any) -> Worker:
    """A Worker for ``module`` (every workflow and activity in it) or ``module:attr``."""
    try:
        module, attr = import_target(target)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    module_name = module.__name__
    if attr:
        obj = getattr(module, attr, None)
        if not isinstance(obj, Worker):
            raise UserError(f"{target!r} is not a goblins.Worker object")
        if server:
            obj.server = server
        if options.get("tls") is not None:
            obj.tls = options["tls"]
        return obj
    members = list(vars(module).values())
    workflows = [m for m in members if workflow_definition(m) is not None]
    activities = [m for m in members if activity_definition(m) is not None]
    if not workflows and not activities:
        raise UserError(f"module {module_name!r} defines no @goblins.workflow or @goblins.activity")
    return Worker(server or _server_default(), workflows=workflows, activities=activities, **options)


def worker_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Worker keyword arguments that ``goblins worker``'s flags set (the others default)."""
    options: dict[str, Any] = {}
    for flag in ("max_concurrent_activities", "max_concurrent_sync_activities", "activity_executor", "task_queue"):
        if getattr(args, flag, None):
            options[flag] = getattr(args, flag)
    options["tls"] = _cli_tls.client_tls(args)
    return options


def cmd_worker(args: argparse.Namespace) -> int:
    worker = load_worker(args.module, args.server, **worker_options(args))
    _cli_ops.use_metrics(worker, args)
    _cli_ops.announce(f"goblins worker {worker.identity} -> {worker.server}", args)
    try:
        asyncio.run(worker.run())
    except KeyboardInterrupt:
        pass
    return 0


# ---- workflow commands ----


def _print_result(value: Any) -> None:
    print(converter.encode(value).decode())


async def _print_result_of(handle: Any, timeout: float | None) -> None:
    try:
        value = await handle.result(timeout=timeout)
    except CodecError:  # no key for it here: say so, as `workflow show` does
        print(ENCRYPTED)
        return
    _print_result(value)


async def workflow_start(args: argparse.Namespace) -> int:
    inputs = json_inputs(args.input)
    async with await _connect(args) as client:
        handle = await client.start_workflow(
            args.name,
            *inputs,
            run_id=args.run_id,
            execution_timeout=args.execution_timeout,
            **_cli_ids.start_options(args),
            **_cli_queues.start_options(args),
        )
        print(handle.run_id)
        if args.wait:
            await _print_result_of(handle, args.timeout)
    return 0


async def workflow_signal(args: argparse.Namespace) -> int:
    inputs = json_inputs(args.input)
    async with await _connect(args) as client:
        await _cli_ids.handle_of(client, args).signal(args.name, *inputs)
    return 0


async def workflow_cancel(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        handle = _cli_ids.handle_of(client, args)
        await (handle.terminate(args.reason) if args.action == "terminate" else handle.cancel(args.reason))
    return 0


async def workflow_result(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        await _print_result_of(_cli_ids.handle_of(client, args), args.timeout)
    return 0


# ---- setup (distributed mode) ----


def cmd_setup(args: argparse.Namespace) -> int:
    import time

    if args.service == "cassandra":
        from goblins.server.distributed.setup import setup_cassandra

        url = _cassandra_setup_url(args.cassandra, args.keyspace)
        replication = {"class": "SimpleStrategy", "replication_factor": args.replication_factor}
        deadline = time.monotonic() + args.wait
        while True:  # patient: the service may still be starting
            try:
                done = setup_cassandra(url, replication)
                break
            except ValueError:
                raise
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise UserError(
                        f"Cassandra at {url.rpartition('@')[2]} did not answer within {args.wait:g}s: {exc}"
                    ) from None
                time.sleep(2)
    else:
        from goblins.server.distributed.setup import setup_kafka

        done = setup_kafka(args.kafka, args.partitions, args.replication_factor, args.wait, args.namespace)
    for line in done:
        print(line)
    return 0


def _cassandra_setup_url(where: str, keyspace: str | None) -> str:
    """``--cassandra`` is HOST:PORT or a whole cassandra:// URL (TLS, login); ``--keyspace``
    replaces the URL's keyspace when given."""
    if not where.startswith("cassandra://"):
        return f"cassandra://{where}/{keyspace or 'goblins'}"
    if keyspace is None:
        return where
    base, sep, query = where.partition("?")
    scheme_hosts = base[: base.index("/", len("cassandra://"))] if "/" in base[len("cassandra://") :] else base
    return f"{scheme_hosts}/{keyspace}{sep}{query}"


# ---- parser ----


def _port(text: str) -> int:
    """A TCP port (argparse type): gRPC would silently take 99999 modulo 65536."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {port}")
    return port


def _positive(text: str) -> int:
    """A count of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="goblins", description="Durable workflows for Python.")
    p.add_argument("--log-level", default=os.environ.get("GOBLINS_LOG_LEVEL", "INFO"), help="DEBUG, INFO, WARNING")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("server", help="run a goblins server (embedded SQLite by default)")
    s.add_argument("--port", type=_port, default=os.environ.get("GOBLINS_PORT", "9075"), help="0: any free port")
    s.add_argument("--host", default=os.environ.get("GOBLINS_HOST", "127.0.0.1"))
    s.add_argument(
        "--max-payload-bytes",
        type=_positive,
        default=os.environ.get("GOBLINS_MAX_PAYLOAD_BYTES", str(2 * 1024 * 1024)),
        help="the most one payload (input, signal, result...) may weigh; default 2 MiB",
    )
    s.add_argument(
        "--results-cache-bytes",
        type=int,
        default=os.environ.get("GOBLINS_RESULTS_CACHE_BYTES", str(64 * 1024 * 1024)),
        help="the most recent results kept in memory may weigh together; default 64 MiB",
    )
    s.add_argument(
        "--warn-history-bytes",
        type=_positive,
        default=os.environ.get("GOBLINS_WARN_HISTORY_BYTES", str(10 * 1024 * 1024)),
        help="log a run whose history passes this size; default 10 MiB",
    )
    s.add_argument(
        "--max-history-bytes",
        type=_positive,
        default=os.environ.get("GOBLINS_MAX_HISTORY_BYTES", str(50 * 1024 * 1024)),
        help="past this history size a run may only end (complete, fail, continue as new); default 50 MiB",
    )
    s.add_argument("--db", default=os.environ.get("GOBLINS_DB", "goblins.db"), help="SQLite file (embedded mode)")
    s.add_argument(
        "--store",
        default=os.environ.get("GOBLINS_STORE"),
        help="event store URL: sqlite:///PATH (overrides --db) or cassandra://HOST:PORT/KEYSPACE",
    )
    s.add_argument(
        "--broker", default=os.environ.get("GOBLINS_BROKER"), help="distributed mode: kafka://HOST:PORT[,HOST:PORT]"
    )
    s.add_argument(
        "--auth",
        default=os.environ.get("GOBLINS_AUTH"),
        metavar="FILE",
        help="TOML file of tokens/certificate subjects and their roles (`goblins auth add-token`); "
        "without it every caller may do everything",
    )
    _cli_tls.add_server_flags(s)
    s.set_defaults(func=cmd_server)

    w = sub.add_parser("worker", help="run a worker for the workflows and activities of a module")
    w.add_argument("module", help="MODULE (hosts everything it defines) or MODULE:WORKER_OBJECT")
    w.add_argument("--server", default=None, help=f"HOST:PORT (default: $GOBLINS_SERVER or {DEFAULT_SERVER})")
    w.add_argument("--max-concurrent-activities", type=int, default=0)
    w.add_argument(
        "--activity-executor",
        choices=["thread", "process"],
        default=None,
        help="where sync activities run: threads (default) or processes, killed when an attempt "
        "runs past its start_to_close_timeout",
    )
    w.add_argument(
        "--max-concurrent-sync-activities",
        type=int,
        default=0,
        help="threads or processes for sync activities (default: as many as asyncio's default pool, or CPUs)",
    )
    _cli_tls.add_client_flags(w)
    w.set_defaults(func=cmd_worker)

    u = sub.add_parser("ui", help="serve the web UI (runs, histories, signals, cancels) for a server")
    u.add_argument("--server", default=_server_default(), help=f"HOST:PORT (default {DEFAULT_SERVER})")
    u.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    u.add_argument("--port", type=_port, default=os.environ.get("GOBLINS_UI_PORT", "9080"), help="0: any free port")
    _cli_ui.add_flags(u)
    _cli_tls.add_client_flags(u)

    st = sub.add_parser("setup", help="create the Cassandra tables or Kafka topics (idempotent, waits)")
    ssub = st.add_subparsers(dest="service", required=True)
    sc = ssub.add_parser("cassandra", help="create the keyspace and tables")
    sc.add_argument(
        "--cassandra",
        default=os.environ.get("GOBLINS_CASSANDRA", "127.0.0.1:9042"),
        help="HOST:PORT, or cassandra://USER@HOST:PORT/KEYSPACE?tls=1&ca=FILE (password: GOBLINS_CASSANDRA_PASSWORD)",
    )
    sc.add_argument("--keyspace", default=None, help="default: the URL's, else goblins")
    sc.add_argument("--replication-factor", type=int, default=1)
    sc.add_argument("--wait", type=float, default=180.0, help="seconds to wait for Cassandra to answer")
    sc.set_defaults(func=cmd_setup)
    sk = ssub.add_parser("kafka", help="create the events topic (task topics are created as workers register)")
    sk.add_argument(
        "--kafka",
        default=os.environ.get("GOBLINS_KAFKA", "127.0.0.1:9092"),
        help="HOST:PORT[,HOST:PORT], or kafka://HOST:PORT[/NAMESPACE]?security=SASL_SSL&username=U&ca=FILE "
        "(password: GOBLINS_KAFKA_PASSWORD)",
    )
    sk.add_argument("--partitions", type=_positive, default=10)
    sk.add_argument("--namespace", default="", help="prefix of topic and group names (several clusters, one Kafka)")
    sk.add_argument("--replication-factor", type=int, default=1)
    sk.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the broker to answer")
    sk.set_defaults(func=cmd_setup)

    wf = sub.add_parser("workflow", help="start, inspect and list workflow runs")
    wsub = wf.add_subparsers(dest="action", required=True)

    def client_parser(name: str, help: str) -> argparse.ArgumentParser:
        c = wsub.add_parser(name, help=help)
        c.add_argument("--server", default=_server_default(), help=f"HOST:PORT (default {DEFAULT_SERVER})")
        _cli_tls.add_client_flags(c)
        return c

    c = client_parser("start", "start a run")
    c.add_argument("name", help="workflow name")
    c.add_argument("--input", action="append", default=[], help="one JSON value per argument (repeat)")
    c.add_argument("--run-id", default=None, help="idempotency key: starting twice returns the same run")
    _cli_ids.add_start_flags(c)
    c.add_argument(
        "--execution-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="end the run (WorkflowTimedOut) if it is still going after this long",
    )
    c.add_argument("--wait", action="store_true", help="wait for the result and print it")
    c.add_argument("--timeout", type=float, default=None, help="seconds to wait with --wait")
    c.set_defaults(func=workflow_start)

    c = client_parser("result", "wait for a run's result and print it (JSON)")
    _cli_ids.add_target(c)
    c.add_argument("--timeout", type=float, default=None)
    c.set_defaults(func=workflow_result)

    c = client_parser("signal", "send a signal to a run")
    _cli_ids.add_target(c)
    c.add_argument("name", help="signal name")
    c.add_argument("--input", action="append", default=[], help="one JSON value per argument (repeat)")
    c.set_defaults(func=workflow_signal)

    for action, help in (
        ("cancel", "ask a run to cancel (its code sees CancelledError and may clean up)"),
        ("terminate", "end a run at once, running none of its code"),
    ):
        c = client_parser(action, help)
        _cli_ids.add_target(c)
        c.add_argument("--reason", default="")
        c.set_defaults(func=workflow_cancel)

    _cli_workflow.register(client_parser, _positive)  # show, list, describe, query
    _cli_replay.register(sub, client_parser, _positive)  # goblins replay, goblins workflow export
    _cli_update.register(client_parser)  # workflow update
    _cli_search.register(sub, client_parser, _server_default())  # search-attribute, workflow count

    _cli_reset.register(client_parser)  # workflow reset
    _cli_auth.register(sub)
    _cli_ops.register(sub)  # --metrics-port, --metrics-host, --log-format on server and worker
    _cli_codec.register(sub)
    _cli_tls.register(sub)
    _cli_activity.register(sub, _server_default())  # activity complete|fail|heartbeat TOKEN

    _cli_queues.register(sub, _server_default())  # goblins task-queue; --task-queue, --priority
    _cli_schedule.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        result = args.func(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except WorkflowFailed as exc:
        print(f"goblins: {exc}", file=sys.stderr)
        return 3
    except TimeoutError as exc:
        print(f"goblins: {exc or 'timed out'}", file=sys.stderr)
        return 4
    except (UserError, GoblinsError, ValueError, TypeError) as exc:
        print(f"goblins: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `goblins workflow show ID | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
