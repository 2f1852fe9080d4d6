"""Model gates: metrics, paired statistics, bootstrap kernels and curves."""
