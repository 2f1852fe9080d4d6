"""Baseline sources: one module per spec scheme, resolved by `resolver`."""
