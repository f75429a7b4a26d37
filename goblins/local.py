"""The in-process mode: server, worker and client in the application's own process, on a
SQLite file, with no gRPC hop (DBOS-style).

    async with goblins.LocalServer("app.db", workflows=[...], activities=[...]) as local:
        result = await local.client.execute_workflow(wf, arg)

It is the embedded mode with the network taken out, not a second engine: the same
``server.app.Server`` (event loop, ``Runs``, SQLite store and dispatcher), the same
``Worker`` with its gRPC task source, the same ``Client``. Only the stub changes: where a
client or a worker would call the server over gRPC, :class:`InProcessStub` calls the
server's gRPC handlers (``server.grpc.GoblinsService``) directly, with the request object
itself (no serialization, no HTTP/2, no second process). Errors take the same path too: a
handler's failure becomes the ``grpc.aio.AioRpcError`` that the network would have carried,
and the client turns it into the same ``goblins`` error as ever.

Durability is the embedded mode's: every step is committed to the SQLite file before it is
acknowledged, so after a kill -9 of the application, a new ``LocalServer`` on the same file
resumes every unfinished run and no finished step runs again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import grpc

from goblins.api import v1 as pb
from goblins.client import Client
from goblins.server.app import Server
from goblins.server.grpc import GoblinsService
from goblins.worker import Worker

# The server's unary methods, as the generated GoblinsStub names them.
UNARY = (
    "StartWorkflow",
    "GetResult",
    "Signal",
    "Cancel",
    "Query",
    "AnswerQuery",
    "GetHistory",
    "ListWorkflows",
    "GetClusterInfo",
    "Register",
    "CheckTasks",
    "DescribeWorkflow",
    "ListWorkers",
    "UpdateWorkflow",
    "CompleteActivity",
    "CountWorkflows",
    "SearchAttributes",
    "ResetWorkflow",
    "ScheduleCommand",
    "DescribeSchedule",
    "ListSchedules",
)

ADDRESS = "in-process:0"  # what the worker and client report as their server's address


class _Context:
    """What the gRPC handlers use of a ``grpc.aio.ServicerContext``: ``abort``."""

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


class _Stream:
    """A ``Connect`` call in process: iterate it for the server's messages; ``cancel()`` ends it.

    The handler's generator is pumped by its own task, as grpc's server would run it, so
    that a cancel ends it at once (its ``finally`` disconnects the worker's session).
    """

    def __init__(self, replies: AsyncIterator[pb.ServerMessage]) -> None:
        self._queue: asyncio.Queue[pb.ServerMessage | BaseException | None] = asyncio.Queue()
        self._pump = asyncio.get_running_loop().create_task(self._run(replies))

    async def _run(self, replies: AsyncIterator[pb.ServerMessage]) -> None:
        try:
            async for msg in replies:
                self._queue.put_nowait(msg)
            self._queue.put_nowait(None)
        except asyncio.CancelledError:
            self._queue.put_nowait(None)
            raise
        except Exception as exc:  # an abort (AioRpcError) or a bug: the worker sees it, as over gRPC
            self._queue.put_nowait(exc)

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> pb.ServerMessage:
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)  # ended: every later read ends too
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> None:
        self._pump.cancel()


class InProcessStub:
    """The server's methods, called in this process: the in-process adapter of the port that
    ``pb_grpc.GoblinsStub`` is the gRPC adapter of (same method names, same requests and
    responses, failures as the same ``grpc.aio.AioRpcError``).

    ``timeout`` and ``wait_for_ready`` are accepted and ignored: the server is in this
    process and up, and its own waits (results, queries) are bounded by the server.
    """

    def __init__(self, service: GoblinsService) -> None:
        self._service = service
        self._context = _Context()
        for name in UNARY:
            setattr(self, name, self._unary(getattr(service, name)))

    def _unary(self, handler: Callable[[Any, Any], Any]) -> Callable[..., Any]:
        context = self._context

        async def call(request: Any, **_options: Any) -> Any:
            return await handler(request, context)

        return call

    def Connect(self, requests: AsyncIterator[pb.WorkerMessage], **_options: Any) -> _Stream:
        return _Stream(self._service.Connect(requests, self._context))  # type: ignore[arg-type]


class _LocalWorker(Worker):
    """A Worker whose server is in this process: its stub is the in-process one."""

    def __init__(self, stub: InProcessStub, **options: Any) -> None:
        super().__init__(ADDRESS, **options)
        self._local_stub = stub

    def _open(self, address: str) -> tuple[Any, Callable[[], Any]]:
        return self._local_stub, _nothing


async def _nothing() -> None:
    return None


class LocalServer:
    """Server, worker and client in this process, on one SQLite file (the in-process mode).

        async with goblins.LocalServer("app.db", workflows=[wf], activities=[act]) as local:
            result = await local.client.execute_workflow(wf, "x")

    ``local.client`` is a :class:`goblins.Client` (same methods, types and errors) whose calls
    go straight to the server's handlers. Runs are as durable as in ``goblins server``: kill
    the process at any point, open a ``LocalServer`` on the same file again, and unfinished
    runs resume; no finished step runs again.

    ``port`` (optional) also serves gRPC on ``host:port`` (0: any free port, see
    :attr:`port`), so that ``goblins workflow ...`` commands, other clients and other workers
    can reach this server. Other keyword arguments go to the :class:`goblins.Worker`
    (``max_concurrent_activities`` etc.); with no workflows and no activities there is no
    in-process worker (workers connect over ``port``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        workflows: Iterable[Callable[..., Any]] = (),
        activities: Iterable[Callable[..., Any]] = (),
        port: int | None = None,
        host: str = "127.0.0.1",
        **worker_options: Any,
    ) -> None:
        self.path = os.fspath(path)
        if not self.path or self.path.startswith(("cassandra:", "kafka:")):
            raise ValueError(f"LocalServer needs the path of a SQLite file, got {path!r}")
        self._store_url = self.path if "://" in self.path else f"sqlite:///{os.path.abspath(self.path)}"
        self._workflows = list(workflows)
        self._activities = list(activities)
        self._port = port
        self._host = host
        self._worker_options = worker_options
        self.server: Server | None = None
        self.worker: Worker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        """A :class:`goblins.Client` of this server (in process, no network)."""
        if self._client is None:
            raise RuntimeError("LocalServer is not started: use `async with LocalServer(...)` or `await start()`")
        return self._client

    @property
    def port(self) -> int | None:
        """The gRPC port this server listens on, once started (None: no gRPC)."""
        return self.server.port if self.server is not None else self._port

    async def start(self) -> None:
        """Open the store (resuming unfinished runs), start the worker, connect the client."""
        # Without a port, every worker lives and dies with this process: tasks found in the file
        # were held by workers that are gone, and run at once (no wait for them to reconnect).
        grace = 0.0 if self._port is None else None
        self.server = Server(self._store_url, self._host, self._port, restart_grace=grace)
        await self.server.start()
        assert self.server.runs is not None
        stub = InProcessStub(GoblinsService(self.server.runs))
        try:
            if self._workflows or self._activities:
                self.worker = _LocalWorker(
                    stub, workflows=self._workflows, activities=self._activities, **self._worker_options
                )
                self._worker_task = asyncio.create_task(self.worker.run())
                await self.worker.wait_connected(10)
            self._client = Client(None, ADDRESS, stub=stub, codecs=self._worker_options.get("codecs"))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the worker (its running tasks are redelivered on the next start), then the server."""
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self.worker is not None:
            await self.worker.shutdown()
        if self._worker_task is not None:
            done, _ = await asyncio.wait([self._worker_task], timeout=10)
            if not done:
                self._worker_task.cancel()
            self._worker_task = None
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
