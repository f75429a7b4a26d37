"""The embedded mode: one server, SQLite, tasks over the workers' gRPC streams."""
