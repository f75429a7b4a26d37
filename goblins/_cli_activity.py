"""``goblins activity complete|fail|heartbeat TOKEN``: finish an activity attempt that raised
``goblins.activity.CompleteAsync``, by its task token (part of goblins.cli, kept apart;
``register`` adds it to the parser).

TOKEN is the token as URL-safe base64 text (``base64.urlsafe_b64encode(info().task_token)``),
or ``-`` to read that text from standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from goblins import _cli_tls
from goblins._cli_workflow import _connect


def register(sub: Any, server_default: str) -> None:
    a = sub.add_parser("activity", help="complete, fail or heartbeat an async activity by its task token")
    asub = a.add_subparsers(dest="action", required=True)

    def parser(name: str, help: str) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = asub.add_parser(name, help=help)
        c.add_argument("token", help="the task token, URL-safe base64 ('-': read it from stdin)")
        c.add_argument("--server", default=server_default, help="HOST:PORT")
        _cli_tls.add_client_flags(c)
        return c

    c = parser("complete", "complete the attempt with a result")
    c.add_argument("--result", default="null", help="the activity's result, one JSON value (default: null)")
    c.set_defaults(func=activity_complete)
    c = parser("fail", "fail the attempt (retried by its retry policy unless --non-retryable)")
    c.add_argument("--error", required=True, help="what went wrong (the failure's message)")
    c.add_argument("--non-retryable", action="store_true", help="do not retry: the activity fails now")
    c.set_defaults(func=activity_fail)
    c = parser("heartbeat", "the attempt is alive: reset its heartbeat_timeout clock")
    c.add_argument("--details", default=None, help="progress details, one JSON value")
    c.set_defaults(func=activity_heartbeat)


def _token(args: argparse.Namespace) -> str:
    return str(sys.stdin.read().strip() if args.token == "-" else args.token)


def _json(text: str | None, flag: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{flag} is not valid JSON ({exc.msg}): {text!r}") from None


async def activity_complete(args: argparse.Namespace) -> int:
    result = _json(args.result, "--result")
    async with await _connect(args) as client:
        await client.complete_activity(_token(args), result)
    return 0


async def activity_fail(args: argparse.Namespace) -> int:
    async with await _connect(args) as client:
        await client.fail_activity(_token(args), args.error, non_retryable=args.non_retryable)
    return 0


async def activity_heartbeat(args: argparse.Namespace) -> int:
    details = _json(args.details, "--details")
    async with await _connect(args) as client:
        await client.heartbeat_activity(_token(args), details)
    return 0
