"""The goblins server: a stateless engine over an event store and a task transport."""

from goblins.server.app import Server, serve

__all__ = ["Server", "serve"]
