"""goblins: durable workflows and activities as plain Python functions.

The top level holds what an application wires together (``LocalServer``: server, worker and
client in one process, see :mod:`goblins.local`) and the errors it catches. Code
that runs inside a workflow uses :mod:`goblins.workflow`, code inside an activity
:mod:`goblins.activity`; ``@goblins.workflow`` and ``@goblins.activity`` are their ``defn``
decorators. History events are in :mod:`goblins.events`, every error in
:mod:`goblins.errors`, test helpers in :mod:`goblins.testing`, payload encryption in
:mod:`goblins.codec`.
"""

import os as _os
from typing import TYPE_CHECKING

# grpc's C core reads its log level once, at import, and without one it prints each failed TLS
# handshake (retried several times a second) on stderr: keep it to errors unless the user chose.
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from goblins._schedules import ScheduleDescription, ScheduleHandle, ScheduleOverlap
from goblins._tls import TLSConfig
from goblins._workflow_ids import IdConflictPolicy, IdReusePolicy
from goblins.client import Client, RunInfo, WorkflowHandle
from goblins.codec import AesGcmCodec
from goblins.describe import RunDescription
from goblins.errors import (
    ActivityFailed,
    ApplicationError,
    ChildWorkflowFailed,
    GoblinsError,
    NondeterminismError,
    PermissionDenied,
    Unauthenticated,
    UpdateFailed,
    UpdateRejected,
    WorkflowAlreadyStarted,
    WorkflowCancelled,
    WorkflowFailed,
    WorkflowNotFound,
    WorkflowTerminated,
    WorkflowTimedOut,
)
from goblins.retry import RetryPolicy
from goblins.worker import Worker

if TYPE_CHECKING:
    # The two modules are callable (their ``defn``); type checkers learn it from their types.
    from goblins.activity import _Module as _ActivityModule
    from goblins.local import LocalServer
    from goblins.workflow import _Module as _WorkflowModule

    activity: _ActivityModule
    workflow: _WorkflowModule
else:
    from goblins import activity, workflow

__all__ = [
    "ActivityFailed",
    "AesGcmCodec",
    "ApplicationError",
    "ChildWorkflowFailed",
    "Client",
    "GoblinsError",
    "IdConflictPolicy",
    "IdReusePolicy",
    "LocalServer",
    "NondeterminismError",
    "PermissionDenied",
    "RetryPolicy",
    "RunDescription",
    "RunInfo",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleOverlap",
    "TLSConfig",
    "Unauthenticated",
    "UpdateFailed",
    "UpdateRejected",
    "Worker",
    "WorkflowAlreadyStarted",
    "WorkflowCancelled",
    "WorkflowFailed",
    "WorkflowHandle",
    "WorkflowNotFound",
    "WorkflowTerminated",
    "WorkflowTimedOut",
    "activity",
    "workflow",
]


def __getattr__(name: str) -> object:
    # LocalServer brings the whole server (SQLite store, event loop): imported only when used,
    # so that clients and workers do not load it.
    if name == "LocalServer":
        from goblins.local import LocalServer

        return LocalServer
    raise AttributeError(f"module 'goblins' has no attribute {name!r}")
