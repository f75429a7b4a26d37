"""History events as a client reads them: re-exported from :mod:`goblins.history`."""

from goblins.history import Event, EventType, Failure

WORKFLOW_FINISHED = frozenset({EventType.WORKFLOW_FINISHED_IN_SUCCESS, EventType.WORKFLOW_FINISHED_IN_ERROR})
"""The kinds that end a run: nothing is recorded after one of these."""

__all__ = ["WORKFLOW_FINISHED", "Event", "EventType", "Failure"]
