"""mlgate: a CI gate for ML — data checks, model evaluation and performance budgets."""

__version__ = "0.1.0"
