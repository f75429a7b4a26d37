"""The operating flags of ``goblins server`` and ``goblins worker``: ``--metrics-port``,
``--metrics-host`` and ``--log-format`` (docs/metrics.md)."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from goblins._logs import FORMATS, use_format


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {text}")
    return port


def register(sub: Any) -> None:
    """Add the flags to the ``server`` and ``worker`` subcommands of ``sub`` (the parser's
    subparsers); ``--log-format`` applies before the command runs."""
    for command, env in (("server", "GOBLINS_METRICS_PORT"), ("worker", "GOBLINS_WORKER_METRICS_PORT")):
        parser: argparse.ArgumentParser = sub.choices[command]
        parser.add_argument(
            "--metrics-port",
            type=_port,
            default=os.environ.get(env),
            help=f"serve Prometheus metrics on this port at /metrics (0: any free port; default ${env}: none)",
        )
        parser.add_argument(
            "--metrics-host",
            default=os.environ.get("GOBLINS_METRICS_HOST", "127.0.0.1"),
            help="address of the metrics endpoint (default 127.0.0.1: this machine only)",
        )
        parser.add_argument(
            "--log-format",
            choices=FORMATS,
            default=os.environ.get("GOBLINS_LOG_FORMAT", "text"),
            help="text (default) or json: one JSON object per line (time, level, logger, message, run_id, step)",
        )
        command_fn = parser.get_default("func")
        parser.set_defaults(func=functools.partial(_with_log_format, command_fn))


def _with_log_format(command: Callable[[argparse.Namespace], Any], args: argparse.Namespace) -> Any:
    use_format(args.log_format)
    return command(args)


def metrics_options(args: argparse.Namespace) -> dict[str, Any]:
    """The metrics keyword arguments of ``Server``/``serve`` and ``Worker`` from the flags."""
    port = getattr(args, "metrics_port", None)
    return {"metrics_port": None if port is None else int(port), "metrics_host": getattr(args, "metrics_host", None)}


def use_metrics(worker: Any, args: argparse.Namespace) -> None:
    """Give a loaded worker (also a ``MODULE:WORKER_OBJECT`` one) the metrics flags."""
    options = metrics_options(args)
    if options["metrics_port"] is not None:
        worker.metrics_port, worker.metrics_host = options["metrics_port"], options["metrics_host"]


def announce(line: str, args: argparse.Namespace) -> None:
    """A line for the person who started the command: on stderr, or a log record in JSON mode
    (where every line of the output is a JSON object)."""
    if getattr(args, "log_format", "text") == "json":
        logging.getLogger("goblins.cli").info(line)
    else:
        print(line, file=sys.stderr)
