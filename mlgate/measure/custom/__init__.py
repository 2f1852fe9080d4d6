"""Custom checks: the user's pytest tests run in-process as gates."""
