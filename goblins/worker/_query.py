"""The worker's queries: answered from a cached run, or from a throwaway replay of its history.

``QueryAnswers`` is a part of ``Worker`` (worker/_worker.py), kept apart for its size.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING, Any

import grpc

from goblins import converter
from goblins._channel import open_channel
from goblins._definitions import WorkflowDefinition
from goblins._envelope import PayloadCodec
from goblins._runtime import WorkflowInstance
from goblins._tls import TLSConfig
from goblins.api import v1 as pb
from goblins.api.v1 import service_pb2_grpc as pb_grpc
from goblins.errors import describe

log = logging.getLogger("goblins.worker")


class QueryAnswers:
    """Worker's query path (a mixin: Worker sets the attributes)."""

    identity: str
    tls: TLSConfig | None
    _workflows: dict[str, WorkflowDefinition]
    _stub: pb_grpc.GoblinsStub | None
    _token: str | None
    _cache: collections.OrderedDict[str, WorkflowInstance]
    codec: PayloadCodec | None

    if TYPE_CHECKING:

        async def _history(self, run_id: str, page_token: bytes = b"", upto: int = 0) -> list[pb.HistoryEvent]: ...

    async def _answer_query(self, q: pb.QueryTask) -> None:
        answer = pb.QueryAnswer(query_id=q.query_id)
        try:
            value = await self._run_query(q)
            answer.output = converter.encode(value, f"query {q.name!r} result", self.codec)
            answer.ok = True
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a query handler's SystemExit is its answer, not the worker's end
            answer.error_type, answer.error = describe(exc)
        channel = open_channel(q.reply_to, tls=self.tls, token=self._token) if q.reply_to else None
        try:
            stub = pb_grpc.GoblinsStub(channel) if channel is not None else self._stub  # type: ignore[no-untyped-call]
            if stub is not None:
                await stub.AnswerQuery(answer, timeout=10)
        except grpc.aio.AioRpcError as exc:
            log.info("query %s: answer not delivered (%s)", q.query_id, exc.code().name)
        finally:
            if channel is not None:
                await channel.close()

    async def _run_query(self, q: pb.QueryTask) -> Any:
        defn = self._workflows.get(q.workflow_name)
        if defn is None:
            raise LookupError(f"workflow {q.workflow_name!r} is not registered on worker {self.identity}")
        assert self._stub is not None
        instance = self._cache.get(q.run_id)
        if instance is not None:
            newer = await self._stub.GetHistory(
                pb.GetHistoryRequest(run_id=q.run_id, after_seq=instance.last_seq, page_size=1)
            )
        if instance is None or newer.events:
            # A throwaway replay to the newest state; its commands are never sent.
            history = await self._history(q.run_id)
            instance = WorkflowInstance(q.run_id, defn, self.codec)  # type: ignore[abstract]
            failure = instance.activate(history).failure
            if failure is not None:
                raise RuntimeError(f"the run cannot be replayed for the query: {failure[1]}")
        if q.validate_update:
            instance.validate_update(q.name, q.input)  # raises to reject
            return None
        return instance.query(q.name, q.input)
