"""Load: the eval data, the candidate and the production baseline, from files and sources."""
