"""The visibility query language: a hand-written recursive-descent parser and its plan.

Grammar (keywords in any case; docs/search.md has examples)::

    query      := [expr] [ORDER BY order {"," order}]
    order      := field [ASC | DESC]
    expr       := term {OR term}
    term       := factor {AND factor}
    factor     := NOT factor | "(" expr ")" | predicate
    predicate  := field ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
                | field [NOT] IN "(" value {"," value} ")"
                | field [NOT] BETWEEN value AND value
                | field STARTS_WITH string
    field      := identifier | `any name`
    value      := 'string' | "string" | number | TRUE | FALSE

``compile_query`` checks the fields and values against the attributes' types and returns a
``Plan``: a tree of ``Leaf`` predicates (each answered by one index lookup) under And/Or/Not.
A predicate on an attribute a run does not have is false (``!=`` included); ``NOT`` negates.
Every mistake raises ``QueryError`` naming its column (1-based).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from goblins._search import BOOL, BUILT_INS, DATETIME, INT, KEYWORD, TEXT, words
from goblins.history import STATUSES


class QueryError(ValueError):
    """A query that does not parse or does not fit the attributes' types."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"query error at column {column}: {message}")
        self.column = column
        self.reason = message


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
    | (?P<num>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<quoted>`[^`]*`)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "BETWEEN", "STARTS_WITH", "ORDER", "BY", "ASC", "DESC", "TRUE", "FALSE"}
_COMPARE = ("=", "!=", "<", "<=", ">", ">=")


@dataclasses.dataclass(frozen=True)
class Token:
    kind: str  # str, num, op, name, kw (a keyword, upper case), end
    text: str
    column: int
    value: Any = None


def tokenize(query: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while True:
        while pos < len(query) and query[pos].isspace():
            pos += 1
        if pos >= len(query):
            out.append(Token("end", "", pos + 1))
            return out
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected character {query[pos]!r}", pos + 1)
        kind = m.lastgroup or ""
        text = m.group(kind)
        column = m.start(kind) + 1
        if kind == "str":
            quote = text[0]
            body = text[1:-1].replace(quote * 2, quote) if quote == "'" else text[1:-1]
            out.append(Token("str", text, column, re.sub(r"\\(.)", r"\1", body)))
        elif kind == "num":
            out.append(Token("num", text, column, float(text) if re.search(r"[.eE]", text) else int(text)))
        elif kind == "name" and text.upper() in _KEYWORDS:
            out.append(Token("kw", text.upper(), column))
        elif kind == "quoted":
            out.append(Token("name", text[1:-1], column))
        else:
            out.append(Token(kind, "!=" if text == "<>" else text, column))
        pos = m.end()


# ---- the syntax tree ----


@dataclasses.dataclass(frozen=True)
class Compare:
    field: str
    op: str  # = != < <= > >= in between starts_with
    values: tuple[Any, ...]
    column: int
    columns: tuple[int, ...] = ()  # each value's column


@dataclasses.dataclass(frozen=True)
class And:
    items: tuple[Any, ...]  # Node (a syntax tree) or PlanNode (a plan)


@dataclasses.dataclass(frozen=True)
class Or:
    items: tuple[Any, ...]  # Node (a syntax tree) or PlanNode (a plan)


@dataclasses.dataclass(frozen=True)
class Not:
    item: Any


Node = Compare | And | Or | Not


@dataclasses.dataclass(frozen=True)
class Order:
    field: str
    descending: bool
    column: int


@dataclasses.dataclass(frozen=True)
class Parsed:
    where: Node | None
    order: tuple[Order, ...]


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = tokenize(query)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def fail(self, expected: str) -> QueryError:
        t = self.tok
        got = "the end of the query" if t.kind == "end" else repr(t.text)
        return QueryError(f"expected {expected}, got {got}", t.column)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            raise self.fail(what)
        return self.take()

    def parse(self) -> Parsed:
        where = None
        if not self.at("end") and not self.at("kw", "ORDER"):
            where = self.expr()
        order: list[Order] = []
        if self.at("kw", "ORDER"):
            self.take()
            self.expect("kw", "BY", "BY after ORDER")
            while True:
                t = self.tok
                if t.kind != "name":
                    raise self.fail("an attribute name to order by")
                self.take()
                desc = False
                if self.at("kw", "ASC") or self.at("kw", "DESC"):
                    desc = self.take().text == "DESC"
                order.append(Order(t.text, desc, t.column))
                if not self.at("op", ","):
                    break
                self.take()
        if not self.at("end"):
            raise self.fail("AND, OR, ORDER BY or the end of the query" if where else "a condition")
        return Parsed(where, tuple(order))

    def expr(self) -> Node:
        items = [self.term()]
        while self.at("kw", "OR"):
            self.take()
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self) -> Node:
        items = [self.factor()]
        while self.at("kw", "AND"):
            self.take()
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self) -> Node:
        if self.at("kw", "NOT"):
            self.take()
            return Not(self.factor())
        if self.at("op", "("):
            self.take()
            inner = self.expr()
            self.expect("op", ")", "')'")
            return inner
        return self.predicate()

    def value(self) -> tuple[Any, int]:
        t = self.tok
        if t.kind in ("str", "num"):
            self.take()
            return t.value, t.column
        if t.kind == "kw" and t.text in ("TRUE", "FALSE"):
            self.take()
            return t.text == "TRUE", t.column
        raise self.fail("a value (a 'string', a number, true or false)")

    def predicate(self) -> Node:
        f = self.tok
        if f.kind != "name":
            raise self.fail("an attribute name, NOT or '('")
        self.take()
        negate = False
        if self.at("kw", "NOT"):
            self.take()
            negate = True
            if not (self.at("kw", "IN") or self.at("kw", "BETWEEN")):
                raise self.fail("IN or BETWEEN after NOT")
        t = self.tok
        node: Node
        if t.kind == "op" and t.text in _COMPARE:
            self.take()
            v, c = self.value()
            node = Compare(f.text, t.text, (v,), f.column, (c,))
        elif self.at("kw", "IN"):
            self.take()
            self.expect("op", "(", "'(' after IN")
            values = [self.value()]
            while self.at("op", ","):
                self.take()
                values.append(self.value())
            self.expect("op", ")", "',' or ')'")
            node = Compare(f.text, "in", tuple(v for v, _ in values), f.column, tuple(c for _, c in values))
        elif self.at("kw", "BETWEEN"):
            self.take()
            low, lc = self.value()
            self.expect("kw", "AND", "AND between the two bounds of BETWEEN")
            high, hc = self.value()
            node = Compare(f.text, "between", (low, high), f.column, (lc, hc))
        elif self.at("kw", "STARTS_WITH"):
            self.take()
            v, c = self.value()
            node = Compare(f.text, "starts_with", (v,), f.column, (c,))
        else:
            raise self.fail(f"an operator after {f.text!r} (= != < <= > >= IN BETWEEN STARTS_WITH)")
        return Not(node) if negate else node


def parse(query: str) -> Parsed:
    """The query's syntax tree; a mistake raises ``QueryError`` naming its column."""
    return _Parser(query).parse()


# ---- the plan ----


@dataclasses.dataclass(frozen=True)
class Leaf:
    """One predicate on one attribute: a run matches when its value passes ``op`` (a run
    without the attribute does not). Values are comparable: keyword str, int/float/datetime
    float (datetime: epoch seconds), bool 0/1, text: the words that must all appear."""

    name: str
    type: str
    op: str  # = != < <= > >= in between starts_with
    values: tuple[Any, ...]


PlanNode = Leaf | And | Or | Not  # And/Or/Not over PlanNodes


@dataclasses.dataclass(frozen=True)
class Plan:
    where: PlanNode | None
    order: tuple[tuple[str, str, bool], ...]  # (name, type, descending); empty: StartTime DESC


def _literal(type_: str, value: Any, column: int, name: str) -> Any:
    def bad(what: str) -> QueryError:
        return QueryError(f"{name} is {'a ' + type_ if type_ != INT else 'an int'}: {what}, got {value!r}", column)

    if type_ in (KEYWORD, TEXT):
        if not isinstance(value, str):
            raise bad("compare it with a 'string'")
        return value
    if type_ == BOOL:
        if not isinstance(value, bool):
            raise bad("compare it with true or false")
        return int(value)
    if type_ == DATETIME:
        if isinstance(value, bool):
            raise bad("compare it with a date ('2026-12-01', '2026-12-01T10:00:00Z')")
        if isinstance(value, int | float):
            return float(value)
        try:
            t = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise bad("compare it with a date ('2026-12-01', '2026-12-01T10:00:00Z')") from None
        return (t if t.tzinfo else t.replace(tzinfo=datetime.UTC)).timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad("compare it with a number")
    if type_ == INT and isinstance(value, float) and not value.is_integer():
        return value  # 2.5 against an int attribute: compared as a number
    return value


_STATUS_NAMES = {s.replace("_", ""): s for s in STATUSES}


def _status(value: str, column: int) -> str:
    """A status as a query names it ('Running', 'TimedOut', 'TIMED_OUT') as the stores keep it."""
    status = _STATUS_NAMES.get(value.upper().replace("_", ""))
    if status is None:
        names = ", ".join(s.title().replace("_", "") for s in STATUSES)
        raise QueryError(f"ExecutionStatus is one of {names}, got {value!r}", column)
    return status


def compile_query(query: str, types: Mapping[str, str]) -> Plan:
    """The plan of ``query``, checked against the attribute types (name -> type; the built-in
    attributes are added); a mistake raises ``QueryError`` naming its column."""
    parsed = parse(query)
    known = {**types, **BUILT_INS}

    def type_at(name: str, column: int) -> str:
        t = known.get(name)
        if t is None:
            raise QueryError(f"unknown search attribute {name!r} (declared: {', '.join(sorted(known))})", column)
        return t

    def plan(node: Node) -> PlanNode:
        if isinstance(node, And):
            return And(tuple(plan(n) for n in node.items))
        if isinstance(node, Or):
            return Or(tuple(plan(n) for n in node.items))
        if isinstance(node, Not):
            return Not(plan(node.item))
        t = type_at(node.field, node.column)
        values = tuple(_literal(t, v, c, node.field) for v, c in zip(node.values, node.columns, strict=True))
        if t == TEXT:
            if node.op != "=":
                raise QueryError(f"{node.field} is a text attribute: only = (contains these words)", node.column)
            if not words(values[0]):
                raise QueryError("a text search needs at least one word", node.columns[0])
            return Leaf(node.field, t, "=", tuple(words(values[0])))
        if node.field == "ExecutionStatus":
            values = tuple(_status(v, c) for v, c in zip(values, node.columns, strict=True))
        if node.op == "starts_with" and t != KEYWORD:
            raise QueryError(f"STARTS_WITH needs a keyword attribute; {node.field} is a {t}", node.column)
        if node.op in ("<", "<=", ">", ">=", "between") and t == BOOL:
            raise QueryError(f"{node.field} is a bool: it takes = and != only", node.column)
        return Leaf(node.field, t, node.op, values)

    order: list[tuple[str, str, bool]] = []
    for o in parsed.order:
        t = type_at(o.field, o.column)
        if t == TEXT:
            raise QueryError(f"cannot order by the text attribute {o.field!r}", o.column)
        order.append((o.field, t, o.descending))
    return Plan(plan(parsed.where) if parsed.where is not None else None, tuple(order))


# ---- evaluation in Python (the distributed store's filter) ----

_OPS: dict[str, Callable[[Any, tuple[Any, ...]], bool]] = {
    "=": lambda v, a: v == a[0],
    "!=": lambda v, a: v != a[0],
    "<": lambda v, a: v < a[0],
    "<=": lambda v, a: v <= a[0],
    ">": lambda v, a: v > a[0],
    ">=": lambda v, a: v >= a[0],
    "in": lambda v, a: v in a,
    "between": lambda v, a: a[0] <= v <= a[1],
    "starts_with": lambda v, a: isinstance(v, str) and v.startswith(a[0]),
}


def leaf_matches(leaf: Leaf, value: Any) -> bool:
    """Whether a run whose attribute is ``value`` (None: missing; for text: its set of
    words) matches ``leaf``."""
    if value is None:
        return False
    if leaf.type == TEXT:
        return set(leaf.values) <= value  # type: ignore[no-any-return]
    return _OPS[leaf.op](value, leaf.values)


def matches(node: PlanNode | None, doc: Mapping[str, Any]) -> bool:
    """Whether a run (its attributes, as comparable values: see ``Leaf``) matches ``node``."""
    if node is None:
        return True
    if isinstance(node, Leaf):
        return leaf_matches(node, doc.get(node.name))
    if isinstance(node, And):
        return all(matches(n, doc) for n in node.items)  # type: ignore[arg-type]
    if isinstance(node, Or):
        return any(matches(n, doc) for n in node.items)  # type: ignore[arg-type]
    return not matches(node.item, doc)  # type: ignore[arg-type]
