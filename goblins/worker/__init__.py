"""The worker: runs workflow tasks and activity tasks that the server hands it.

``_worker`` runs tasks; ``_source`` is the seam through which they arrive, with one adapter
per mode (``_grpc_source``: the embedded server's stream; ``_kafka_source``: the
distributed mode's topics).
"""

from goblins.worker._worker import Worker

__all__ = ["Worker"]
