"""Role modules that are also their decorator: ``@goblins.workflow`` is ``@goblins.workflow.defn``.

Python calls a module through its type, so ``goblins.workflow`` and ``goblins.activity``
set their module's ``__class__`` to a ``types.ModuleType`` subclass whose ``__call__`` is
their ``defn``. Type checkers do not follow that assignment: ``goblins/__init__.py``
declares the two names with these subclasses as their types, so the subclasses also list
the module's public names, each through :class:`Exported`, which keeps a function's exact
(overloaded, generic) signature where ``staticmethod()`` would keep its first overload only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, cast, overload

C = TypeVar("C", bound=Callable[..., Any])
F = TypeVar("F", bound=Callable[..., Any])


class Exported(Generic[C]):
    """A module-level function seen as an attribute of the module's type, unbound."""

    def __init__(self, fn: C) -> None:
        self._fn = fn

    def __get__(self, instance: object, owner: type | None = None) -> C:
        return self._fn


class Decorator(Protocol):
    """``@defn`` and ``@defn(name=...)``: the role modules' decorator (workflow, activity)."""

    @overload
    def __call__(self, fn: F, *, name: str | None = None) -> F: ...
    @overload
    def __call__(self, fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...


def decorator(define: Callable[[Any, str | None], Any], doc: str) -> Decorator:
    """The ``defn`` of a role module: ``define(fn, name)`` bare or with a name."""

    def defn(fn: Any = None, *, name: str | None = None) -> Any:
        if fn is not None:
            return define(fn, name)
        return lambda f: define(f, name)

    defn.__doc__ = doc
    return cast(Decorator, defn)
