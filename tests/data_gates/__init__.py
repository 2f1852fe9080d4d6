"""Data for the data-gate tests: small frames generated from fixed seeds, and GX suite files."""
