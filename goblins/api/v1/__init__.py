"""The wire messages, generated from ``proto/goblins/api/v1/`` by ``scripts/gen-proto``.

This package re-exports the messages of its three files as one namespace (``pb.HistoryEvent``,
``pb.Task``, ``pb.Report``...), so code that speaks the wire imports one name; the gRPC stubs
stay in ``service_pb2_grpc``.
"""

from goblins.api.v1.history_pb2 import *  # noqa: F403
from goblins.api.v1.service_pb2 import *  # noqa: F403
from goblins.api.v1.task_pb2 import *  # noqa: F403
