"""How a request fails: each class is one gRPC status (goblins/server/grpc.py maps them)."""

from __future__ import annotations


class RequestError(Exception):
    """A request that cannot be served as asked; the message is for the client."""


class InvalidArgument(RequestError):
    """The request itself is malformed."""


class NotFound(RequestError):
    """No such run, or no worker ever registered the workflow."""


class FailedPrecondition(RequestError):
    """The run or the cluster is not in a state that allows the request."""


class DeadlineExceeded(RequestError):
    """Nobody answered in time."""
