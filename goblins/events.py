"""History events as a client reads them: re-exported from :mod:`goblins.history`."""

from goblins.history import FINISHED as WORKFLOW_FINISHED
from goblins.history import Event, EventType

__all__ = ["WORKFLOW_FINISHED", "Event", "EventType"]
