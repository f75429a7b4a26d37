"""goblins' wire API, by version."""
