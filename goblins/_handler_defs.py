"""Typed names of queries and updates: ``goblins.workflow.Query`` and ``goblins.workflow.Update``.

A query or an update is called by name, and its handler is a closure set by the running
workflow, so there is no function a client could pass to say what it calls. A definition names
it and states its signature once, in code both sides import; the workflow sets its handler with
it and the client calls it with it, and a type checker checks both against the signature:

    from goblins.workflow import Query, Update

    status = Query[[], str]("status")
    approve = Update[[str, int], bool]("approve")

    goblins.workflow.set_query_handler(status, lambda: state)    # a handler () -> str
    text = await handle.query(status)                            # str
    ok = await handle.execute_update(approve, "ann", 3)          # bool; ("ann", "3") fails mypy

To a type checker a definition is a callable of its signature that returns a marker
(:class:`QueryAnswer` or :class:`UpdateResult`): the client's overloads match any number of
arguments against a callable (``Callable[[*Ts], ...]``, PEP 646), which a class generic over
a ParamSpec cannot be matched as; the marker keeps a query from being sent as an update or a
plain function as either. At runtime a definition is its name and nothing else: nobody calls it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

__all__ = ["Query", "QueryAnswer", "Update", "UpdateResult", "handler_name"]


class QueryAnswer(Generic[R_co]):
    """What a :class:`Query` seems to return to a type checker: the query's answer type."""


class UpdateResult(Generic[R_co]):
    """What an :class:`Update` seems to return to a type checker: the update's result type."""


class _Definition:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{type(self).__name__.lower()} name must be a non-empty str, got {name!r}")
        self.name = name
        """The name the workflow's handler is registered under and the client calls."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Query(_Definition, Generic[P, R]):
    """A query's name with its signature: ``Query[[ARG, ...], ANSWER](name)``.

    Set its handler with ``goblins.workflow.set_query_handler(q, fn)`` (``fn``: a plain
    function taking the ARGs and returning ANSWER) and call it with ``handle.query(q, *args)``,
    which returns an ANSWER.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> QueryAnswer[R]: ...


class Update(_Definition, Generic[P, R]):
    """An update's name with its signature: ``Update[[ARG, ...], RESULT](name)``.

    Set its handler with ``goblins.workflow.set_update_handler(u, fn)`` (``fn``: a plain or an
    ``async`` function taking the ARGs and returning RESULT) and call it with
    ``handle.execute_update(u, *args)``, which returns a RESULT, or ``handle.start_update``.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> UpdateResult[R]: ...


def handler_name(name: object, kind: str) -> str:
    """The name a query (``kind`` "query") or an update ("update") is called by: a str, or the
    name of a :class:`Query` / :class:`Update`; ValueError for anything else."""
    if isinstance(name, Query if kind == "query" else Update):
        return name.name
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind} name must be a non-empty str, got {name!r}")
    return name
