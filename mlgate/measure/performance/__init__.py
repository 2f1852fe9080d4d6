"""Performance measurement: timing harness, child-process memory probe, paired round statistics."""
