"""``goblins search-attribute add|list``, ``goblins workflow count --query``, and the search
attribute and memo lines of ``workflow describe`` / ``show`` (docs/search.md)."""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Callable
from typing import Any

from goblins import _cli_tls
from goblins._search import TYPES
from goblins.describe import RunDescription


def register(sub: Any, client_parser: Callable[[str, str], argparse.ArgumentParser], server_default: str) -> None:
    """Add ``goblins search-attribute`` and ``goblins workflow count``."""
    c = client_parser("count", "count the runs a visibility query matches (docs/search.md)")
    c.add_argument("--query", default="", help="e.g. \"WorkflowType = 'order' AND customer = 'c-17'\"")
    c.set_defaults(func=workflow_count)

    sa = sub.add_parser("search-attribute", help="declare and list search attributes (docs/search.md)")
    ssub = sa.add_subparsers(dest="action", required=True)
    for name, help in (("add", "declare a search attribute's type"), ("list", "list the declared attributes")):
        p = ssub.add_parser(name, help=help)
        p.add_argument("--server", default=server_default, help=f"HOST:PORT (default {server_default})")
        _cli_tls.add_client_flags(p)
        if name == "add":
            p.add_argument("name", help="letters, digits and _")
            p.add_argument("type", choices=TYPES)
        p.set_defaults(func=search_attribute)


async def workflow_count(args: argparse.Namespace) -> int:
    from goblins._cli_workflow import _connect

    async with await _connect(args) as client:
        print(await client.count_workflows(args.query))
    return 0


async def search_attribute(args: argparse.Namespace) -> int:
    from goblins._cli_workflow import _connect

    async with await _connect(args) as client:
        if args.action == "add":
            declared = await client.add_search_attribute(args.name, args.type)
        else:
            declared = await client.list_search_attributes()
    for name in sorted(declared):
        print(f"{name}  {declared[name]}")
    return 0


def _text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=repr)


def attributes_cell(attributes: dict[str, Any]) -> str:
    """A run's attributes on one line: ``customer="c-17" amount=42.5``."""
    return " ".join(f"{name}={_text(v)}" for name, v in sorted(attributes.items()))


def search_lines(d: RunDescription) -> list[str]:
    """The search attributes and memo of a described run, as ``describe`` prints them."""
    lines = []
    if d.search_attributes:
        lines.append("search attributes:")
        lines += [f"  {name} = {_text(v)}" for name, v in sorted(d.search_attributes.items())]
    if d.memo:
        lines.append(f"memo:      {_text(d.memo)}")
    return lines
