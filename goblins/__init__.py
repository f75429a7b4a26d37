"""goblins: durable workflows and activities as plain Python functions."""

from goblins._api import execute_activity
from goblins._definitions import activity, workflow
from goblins.client import Client, WorkflowHandle
from goblins.errors import (
    ActivityFailed,
    GoblinsError,
    NondeterminismError,
    SerializationError,
    WorkflowFailed,
    WorkflowNotFound,
)
from goblins.events import Event, EventType
from goblins.retry import RetryPolicy
from goblins.worker import Worker

__all__ = [
    "ActivityFailed",
    "Client",
    "Event",
    "EventType",
    "GoblinsError",
    "NondeterminismError",
    "RetryPolicy",
    "SerializationError",
    "Worker",
    "WorkflowFailed",
    "WorkflowHandle",
    "WorkflowNotFound",
    "activity",
    "execute_activity",
    "workflow",
]
