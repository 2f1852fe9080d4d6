"""Tests of mlgate.report (a package, so its conftest and helpers never clash with others)."""
