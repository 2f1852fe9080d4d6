"""Data gates: Great Expectations checks, the schema gate and drift."""
