"""The distributed mode: Cassandra for events and timers, Kafka for reports and tasks."""
