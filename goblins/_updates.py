"""A run's updates (``goblins.workflow.set_update_handler``): validated read-only, then run.

``UpdateHandling`` is a part of ``WorkflowInstance`` (goblins/_runtime.py), kept apart for
its size. An update reaches the run twice: first its validator runs on the worker holding the
run, as a query does (nothing recorded; a validator that raises rejects the update); then, once
the server has recorded UPDATE_ACCEPTED, its handler runs as a task of the workflow, and its
outcome goes back as a ``complete_update`` command that the server records as UPDATE_COMPLETED.
Replay runs the handler again at the same point of the history, so its effects on the
workflow's state are the same; a completion the history holds already is not sent again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from goblins import converter
from goblins._envelope import PayloadCodec
from goblins._settle import _fail_workflow
from goblins.api import v1 as pb
from goblins.errors import CodecError

if TYPE_CHECKING:
    from goblins._definitions import WorkflowDefinition


_ENDING = frozenset({"complete_workflow", "fail_workflow", "continue_as_new"})


def _ends_run(command: pb.Command) -> bool:
    return command.WhichOneof("kind") in _ENDING


@dataclasses.dataclass(frozen=True)
class UpdateHandler:
    fn: Callable[..., Any]
    validator: Callable[..., Any] | None = None


class UpdateHandling:
    """WorkflowInstance's update path (a mixin: the instance sets the attributes)."""

    definition: WorkflowDefinition
    codec: PayloadCodec | None
    _commands: list[pb.Command]

    if TYPE_CHECKING:

        def create_task(self, coro: Any, *, name: Any = None, context: Any = None) -> asyncio.Task[Any]: ...

    def _init_updates(self) -> None:
        self.update_handlers: dict[str, UpdateHandler] = {}
        self._update_commands: dict[str, pb.Command] = {}  # update id -> its complete_update, once sent

    def _handler(self, name: str) -> UpdateHandler:
        handler = self.update_handlers.get(name)
        if handler is None:
            known = ", ".join(sorted(self.update_handlers)) or "none"
            raise LookupError(f"workflow {self.definition.name!r} has no update handler {name!r} (it has: {known})")
        return handler

    def validate_update(self, name: str, payload: bytes) -> None:
        """Run update ``name``'s validator against the run's state: it raises to reject."""
        handler = self._handler(name)
        args = converter.decode_args(payload, handler.fn, self.codec)
        if handler.validator is not None:
            value = handler.validator(*args)
            if asyncio.iscoroutine(value):
                value.close()
                raise TypeError(f"the validator of update {name!r} must be a plain function, not async")

    def _apply_update_accepted(self, event: pb.HistoryEvent) -> bool:
        a = event.update_accepted
        self.create_task(self._run_update(a.update_id, a.update_name, a.input))
        return True

    def _apply_update_completed(self, event: pb.HistoryEvent) -> bool:
        # Replay: the handler finished earlier in this activation and its completion is
        # recorded already: not sent again.
        command = self._update_commands.pop(event.update_completed.update_id, None)
        if command is not None and command in self._commands:
            self._commands.remove(command)
        return False

    def _updates_before_end(self) -> None:
        """An update finished in the task that ends the run: its completion goes before the
        end (the server records nothing after it). A stable sort: the rest keep their order."""
        self._commands.sort(key=_ends_run)

    async def _run_update(self, update_id: str, name: str, payload: bytes) -> None:
        done = pb.CompleteUpdate(update_id=update_id)
        try:
            handler = self._handler(name)
            value = handler.fn(*converter.decode_args(payload, handler.fn, self.codec))
            if asyncio.iscoroutine(value):
                value = await value
            done.output = converter.encode(value, f"update {name!r} result", self.codec)
        except CodecError:
            raise  # no key here: the workflow task fails, and a worker that holds the key runs it
        except BaseException as exc:  # the handler's error (a cancel too) is the update's outcome
            done.failure.CopyFrom(_fail_workflow(exc, self.codec))
        command = pb.Command(complete_update=done)
        self._update_commands[update_id] = command
        self._commands.append(command)
