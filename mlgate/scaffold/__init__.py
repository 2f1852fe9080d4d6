"""Starter files written by `mlgate init` (plain text shipped with the package)."""
