"""The visibility query parser (goblins/_query.py): good queries and their plans, bad ones with
the exact error and the column it names."""

from __future__ import annotations

import datetime

import pytest

from goblins._query import And, Leaf, Not, Or, Plan, QueryError, compile_query, matches, parse

TYPES = {"customer": "keyword", "amount": "float", "priority": "int", "vip": "bool", "due": "datetime", "note": "text"}
DEC1 = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()


def leaf(name: str, op: str, *values: object) -> Leaf:
    from goblins._search import BUILT_INS

    return Leaf(name, {**TYPES, **BUILT_INS}[name], op, values)


@pytest.mark.parametrize(
    ("query", "plan"),
    [
        ("", Plan(None, ())),
        ("customer = 'c-17'", Plan(leaf("customer", "=", "c-17"), ())),
        (
            "WorkflowType = 'order' AND customer = 'c-17' AND StartTime > '2026-12-01' "
            "AND ExecutionStatus = 'Running' ORDER BY StartTime DESC",
            Plan(
                And(
                    (
                        leaf("WorkflowType", "=", "order"),
                        leaf("customer", "=", "c-17"),
                        leaf("StartTime", ">", DEC1),
                        leaf("ExecutionStatus", "=", "RUNNING"),
                    )
                ),
                (("StartTime", "datetime", True),),
            ),
        ),
        (
            "a_or_b = 1 OR priority IN (1, 2) AND NOT vip = true",
            None,  # unknown attribute: see the bad queries
        ),
        (
            "priority in (1,2) and not vip = TRUE or amount between 1 and 2.5",
            Plan(
                Or(
                    (
                        And((leaf("priority", "in", 1, 2), Not(leaf("vip", "=", 1)))),
                        leaf("amount", "between", 1, 2.5),
                    )
                ),
                (),
            ),
        ),
        ("(customer != 'x' OR (amount <= 3))", Plan(Or((leaf("customer", "!=", "x"), leaf("amount", "<=", 3))), ())),
        ("customer <> 'x'", Plan(leaf("customer", "!=", "x"), ())),
        ("customer NOT IN ('a')", Plan(Not(leaf("customer", "in", "a")), ())),
        ("customer STARTS_WITH 'c-1'", Plan(leaf("customer", "starts_with", "c-1"), ())),
        ("note = 'Rush, FRAGILE'", Plan(leaf("note", "=", "fragile", "rush"), ())),
        ("customer = 'O''Brien'", Plan(leaf("customer", "=", "O'Brien"), ())),
        ('`customer` = "x"', Plan(leaf("customer", "=", "x"), ())),
        (
            "ExecutionStatus IN ('TimedOut', 'timed_out')",
            Plan(leaf("ExecutionStatus", "in", "TIMED_OUT", "TIMED_OUT"), ()),
        ),
        ("due >= '2026-12-01T01:00:00+01:00'", Plan(leaf("due", ">=", DEC1), ())),
        ("ORDER BY priority, amount DESC", Plan(None, (("priority", "int", False), ("amount", "float", True)))),
    ],
)
def test_good_queries_compile_to_their_plans(query: str, plan: Plan | None) -> None:
    if plan is None:
        with pytest.raises(QueryError):
            compile_query(query, TYPES)
        return
    assert compile_query(query, TYPES) == plan


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("customer =", 11, "expected a value (a 'string', a number, true or false), got the end of the query"),
        ("customer = 'x' AND", 19, "expected an attribute name, NOT or '(', got the end of the query"),
        ("customer ~ 'x'", 10, "unexpected character '~'"),
        ("customer = 'x", 12, 'unexpected character "\'"'),
        ("(customer = 'x'", 16, "expected ')', got the end of the query"),
        (
            "customer 'x'",
            10,
            "expected an operator after 'customer' (= != < <= > >= IN BETWEEN STARTS_WITH), got \"'x'\"",
        ),
        ("customer IN 'x'", 13, "expected '(' after IN, got \"'x'\""),
        ("customer IN ('x' 'y')", 18, "expected ',' or ')', got \"'y'\""),
        ("amount BETWEEN 1 OR 2", 18, "expected AND between the two bounds of BETWEEN, got 'OR'"),
        ("customer NOT = 'x'", 14, "expected IN or BETWEEN after NOT, got '='"),
        ("customer = 'x' ORDER StartTime", 22, "expected BY after ORDER, got 'StartTime'"),
        ("customer = 'x' ORDER BY 3", 25, "expected an attribute name to order by, got '3'"),
        ("customer = 'x' customer", 16, "expected AND, OR, ORDER BY or the end of the query, got 'customer'"),
        ("nope = 1", 1, "unknown search attribute 'nope'"),
        ("customer = 5", 12, "customer is a keyword: compare it with a 'string', got 5"),
        ("amount > 'x'", 10, "amount is a float: compare it with a number, got 'x'"),
        ("vip > true", 1, "vip is a bool: it takes = and != only"),
        ("note != 'x'", 1, "note is a text attribute: only = (contains these words)"),
        ("customer = 'a' AND amount STARTS_WITH 1", 20, "STARTS_WITH needs a keyword attribute; amount is a float"),
        (
            "due > 'yesterday'",
            7,
            "due is a datetime: compare it with a date ('2026-12-01', '2026-12-01T10:00:00Z'), got 'yesterday'",
        ),
        ("ExecutionStatus = 'Done'", 19, "ExecutionStatus is one of Running, Completed, Failed"),
        ("ORDER BY note", 10, "cannot order by the text attribute 'note'"),
    ],
)
def test_bad_queries_name_the_column(query: str, column: int, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(query, TYPES)
    assert caught.value.column == column, str(caught.value)
    assert str(caught.value).startswith(f"query error at column {column}: {message}"), str(caught.value)


def test_a_missing_attribute_fails_every_comparison_but_not_its_negation() -> None:
    plan = compile_query("priority != 2", TYPES)
    assert not matches(plan.where, {}) and matches(plan.where, {"priority": 3})
    negated = compile_query("NOT priority = 2", TYPES)
    assert matches(negated.where, {}) and not matches(negated.where, {"priority": 2})


def test_the_syntax_tree_keeps_columns() -> None:
    parsed = parse("customer = 'x' AND amount IN (1, 2)")
    assert isinstance(parsed.where, And)
    first, second = parsed.where.items
    assert (first.column, first.columns, second.column, second.columns) == (1, (12,), 20, (31, 34))
