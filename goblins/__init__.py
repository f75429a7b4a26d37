"""goblins: durable workflows and activities as plain Python functions."""

from goblins._activity import ActivityInfo, activity_info, heartbeat
from goblins._api import (
    ChildWorkflowHandle,
    continue_as_new,
    execute_activity,
    execute_workflow,
    now,
    random,
    set_query_handler,
    sleep,
    start_workflow,
    uuid4,
    wait_for_signal,
)
from goblins._definitions import activity, workflow
from goblins.client import Client, WorkflowHandle
from goblins.errors import (
    ActivityFailed,
    ChildWorkflowFailed,
    GoblinsError,
    NondeterminismError,
    SerializationError,
    WorkflowCancelled,
    WorkflowFailed,
    WorkflowNotFound,
    WorkflowTerminated,
    WorkflowTimedOut,
)
from goblins.events import Event, EventType
from goblins.retry import RetryPolicy
from goblins.worker import Worker

__all__ = [
    "ActivityFailed",
    "ActivityInfo",
    "ChildWorkflowFailed",
    "ChildWorkflowHandle",
    "Client",
    "Event",
    "EventType",
    "GoblinsError",
    "NondeterminismError",
    "RetryPolicy",
    "SerializationError",
    "Worker",
    "WorkflowCancelled",
    "WorkflowFailed",
    "WorkflowHandle",
    "WorkflowNotFound",
    "WorkflowTerminated",
    "WorkflowTimedOut",
    "activity",
    "activity_info",
    "continue_as_new",
    "execute_activity",
    "execute_workflow",
    "heartbeat",
    "now",
    "random",
    "set_query_handler",
    "sleep",
    "start_workflow",
    "uuid4",
    "wait_for_signal",
    "workflow",
]
